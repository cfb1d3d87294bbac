/**
 * The intake API of `serve --listen`: POST /v1/events records events (on disk before the 202),
 * GET /healthz, GET /metrics. Plain HTTP, meant for loopback or a trusted network; beyond
 * loopback a bearer token is required (checked by the caller before listening).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AppContext } from '../app/context.js';
import { parseEventObject, recordEventsAtomically, type EventInput } from '../app/events.js';
import { PayloadTooLargeError, UsageError, ValidationError } from '../domain/errors.js';
import type { Metrics } from './metrics.js';

/** A body holds one event (payload ≤ 256 KiB) or an array of them. */
export const MAX_INTAKE_BODY_BYTES = 8 * 1024 * 1024;
export const MAX_INTAKE_BATCH = 10_000;

export interface IntakeOptions {
  token: string | undefined;
  onRecorded: (count: number) => void;
  onError: (err: unknown) => void;
  inFlight: () => number;
}

export function parseListen(raw: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(raw.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen "${raw}" is not HOST:PORT, e.g. 127.0.0.1:8787`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** How much of an oversized body is read and thrown away so that the client sees the 413. */
export const MAX_INTAKE_DRAIN_BYTES = 64 * 1024 * 1024;

class BodyTooLarge extends Error {
  constructor(readonly drained: boolean) {
    super('request body too large');
  }
}

/**
 * Reads the body, up to MAX_INTAKE_BODY_BYTES. An oversized body is still read to its end (and
 * thrown away) before the 413 goes out: closing the socket while the client is still sending
 * makes it see a reset (EPIPE/ECONNRESET) instead of the answer. Past MAX_INTAKE_DRAIN_BYTES the
 * server stops listening and closes the connection.
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_INTAKE_DRAIN_BYTES) {
      reject(new BodyTooLarge(false));
      return;
    }
    let over = declared > MAX_INTAKE_BODY_BYTES;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_INTAKE_BODY_BYTES && !over) {
        over = true;
        chunks.length = 0;
      }
      if (!over) chunks.push(c);
      else if (size > MAX_INTAKE_DRAIN_BYTES) {
        req.pause();
        reject(new BodyTooLarge(false));
      }
    });
    req.on('end', () => (over ? reject(new BodyTooLarge(true)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

export function createIntakeServer(ctx: AppContext, metrics: Metrics, opts: IntakeOptions): Server {
  const tokenDigest = opts.token ? digest(opts.token) : undefined;

  function authorized(req: IncomingMessage): boolean {
    if (!tokenDigest) return true;
    const header = req.headers['authorization'] ?? '';
    const m = /^Bearer (.+)$/.exec(header);
    return !!m && timingSafeEqual(digest(m[1]!), tokenDigest);
  }

  async function postEvents(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(req)) {
      metrics.recordRejected();
      res.setHeader('www-authenticate', 'Bearer');
      return send(res, 401, { error: 'missing or wrong bearer token (Authorization: Bearer $ZWH_INTAKE_TOKEN)' });
    }
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      metrics.recordRejected();
      if (err instanceof BodyTooLarge) {
        if (!err.drained) res.setHeader('connection', 'close');
        return send(res, 413, { error: `request body over ${MAX_INTAKE_BODY_BYTES} bytes` });
      }
      throw err;
    }
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      metrics.recordRejected();
      return send(res, 400, { error: 'body is not valid JSON' });
    }
    const isArray = Array.isArray(value);
    let inputs: EventInput[];
    try {
      if (isArray) {
        const items = value as unknown[];
        if (items.length === 0) throw new ValidationError('the array holds no events');
        if (items.length > MAX_INTAKE_BATCH) throw new PayloadTooLargeError(`at most ${MAX_INTAKE_BATCH} events per request`);
        inputs = items.map((item, i) => parseEventObject(item, `item ${i}`));
      } else {
        inputs = [parseEventObject(value, 'body')];
      }
    } catch (err) {
      metrics.recordRejected();
      if (err instanceof PayloadTooLargeError) return send(res, 413, { error: err.message });
      if (err instanceof ValidationError) return send(res, 400, { error: err.message });
      throw err;
    }
    groupCommit.push({ inputs, isArray, res });
    if (groupCommit.length === 1) setImmediate(commitGroup);
  }

  /**
   * Group commit: every request checked in the same turn of the event loop is recorded in one
   * transaction (one fsync), and each is answered after it. Under load the groups grow by
   * themselves, so a burst costs one disk flush instead of one per request. An array is part of
   * one transaction either way: all of it is accepted, or none.
   */
  let groupCommit: { inputs: EventInput[]; isArray: boolean; res: ServerResponse }[] = [];
  function commitGroup(): void {
    const group = groupCommit;
    groupCommit = [];
    let out;
    try {
      out = recordEventsAtomically(ctx, group.flatMap((g) => g.inputs));
    } catch (err) {
      for (const g of group) send(g.res, 503, { error: 'the event could not be recorded; try again' });
      opts.onError(err);
      return;
    }
    metrics.recordIntake(out.length);
    opts.onRecorded(out.length);
    let at = 0;
    for (const g of group) {
      const views = out.slice(at, at + g.inputs.length).map((r) => ({ id: r.id, deliveries: r.deliveries }));
      at += g.inputs.length;
      send(g.res, 202, g.isArray ? views : views[0]);
    }
  }

  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = `${req.method} ${path}`;
    const handle = async (): Promise<void> => {
      switch (route) {
        case 'POST /v1/events':
          return postEvents(req, res);
        case 'GET /healthz':
          ctx.store.dataVersion(); // the database answers
          return send(res, 200, { status: 'ok' });
        case 'GET /metrics': {
          const d = ctx.store.deliveries;
          const oldest = d.oldestPendingCreatedAt();
          return send(
            res,
            200,
            metrics.render({
              deliveries: d.countsByStatus(),
              oldestPendingAgeS: oldest === null ? 0 : Math.max(0, ctx.clock() - oldest) / 1000,
              inFlight: opts.inFlight(),
            }),
            'text/plain; version=0.0.4',
          );
        }
        default:
          if (path === '/v1/events' || path === '/healthz' || path === '/metrics')
            return send(res, 405, { error: `method ${req.method} not allowed on ${path}` });
          return send(res, 404, { error: `no route ${path}: use POST /v1/events, GET /healthz or GET /metrics` });
      }
    };
    handle().catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
      opts.onError(err);
    });
  });
}
