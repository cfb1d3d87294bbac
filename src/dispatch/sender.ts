/**
 * The one HTTP path every delivery and every `zwh test` goes through. A send never throws: every
 * way it can end (2xx, other status, timeout, refused, reset, TLS failure) comes back as a
 * SendResult, and each becomes an attempt row.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates } from 'node:tls';
import { Agent } from 'undici';
import { ValidationError } from '../domain/errors.js';
import { ATTEMPT_TIMEOUT_MS, RESPONSE_EXCERPT_BYTES } from '../domain/limits.js';
import type { Clock, SendResult } from '../domain/types.js';

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Ends the attempt early (the operator's Ctrl-C on `zwh test`); it then fails as cancelled. */
  cancel?: AbortSignal | undefined;
}

export interface Sender {
  send(req: SendRequest): Promise<SendResult>;
  close(): Promise<void>;
}

export interface SenderOptions {
  timeoutMs?: number;
  /** Keep-alive connections per receiver origin. */
  connectionsPerOrigin?: number;
  /** Extra CA certificates (PEM file) trusted besides the system ones and NODE_EXTRA_CA_CERTS. */
  caFile?: string | undefined;
  /** Monotonic milliseconds for latency; injected for tests. */
  now?: Clock;
}

/** The error of an attempt ended by SendRequest.cancel. */
export const CANCELLED_ERROR = 'cancelled before the receiver answered';

/** A body beyond this is not worth reading for an excerpt: the connection is dropped instead. */
const MAX_DRAIN_BYTES = 1024 * 1024;

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'HOSTNAME_MISMATCH', 'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the receiver',
  EPIPE: 'connection closed by the receiver',
  UND_ERR_SOCKET: 'connection closed by the receiver',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed, try again',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

function errorCode(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string' && e.code !== 'UND_ERR_ABORTED') return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** Turns a thrown error into an outcome and plain words. Never includes headers (they hold secrets). */
export function classifyError(err: unknown, timedOut: boolean, timeoutMs: number): Pick<SendResult, 'outcome' | 'error'> {
  if (timedOut) return { outcome: 'timeout', error: `timed out after ${timeoutMs} ms` };
  const code = errorCode(err);
  if (code && (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT'))) {
    const words = code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH'
      ? 'TLS certificate does not match the host'
      : code === 'CERT_HAS_EXPIRED' ? 'TLS certificate has expired'
      : code === 'EPROTO' || code.startsWith('ERR_SSL') ? 'TLS handshake failed'
      : 'TLS certificate not trusted';
    return { outcome: 'tls_error', error: `${words} (${code})` };
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return { outcome: 'timeout', error: `timed out after ${timeoutMs} ms` };
  if (code && NETWORK_WORDS[code]) return { outcome: 'network_error', error: `${NETWORK_WORDS[code]} (${code})` };
  const message = (err as Error)?.message ?? String(err);
  return { outcome: 'network_error', error: code ? `${message} (${code})` : message };
}

function loadCa(caFile: string | undefined): string[] | undefined {
  if (!caFile) return undefined;
  const extra: string[] = [];
  try {
    extra.push(readFileSync(caFile, 'utf8'));
  } catch (err) {
    throw new ValidationError(`cannot read --ca-file ${caFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // An explicit CA list replaces Node's defaults: keep the system roots and NODE_EXTRA_CA_CERTS.
  const envExtra = process.env.NODE_EXTRA_CA_CERTS;
  if (envExtra) {
    try {
      extra.push(readFileSync(envExtra, 'utf8'));
    } catch {
      /* Node itself warns about an unreadable NODE_EXTRA_CA_CERTS at start-up. */
    }
  }
  return [...rootCertificates, ...extra];
}

/**
 * The whole-attempt deadline (connect + headers + body). undici takes any EventEmitter-like
 * signal; this one costs a timer and two fields, where an AbortController per request showed up
 * in the dispatch profile.
 */
class Deadline {
  aborted = false;
  cancelled = false;
  reason: Error | undefined;
  private listener: (() => void) | null = null;
  private readonly timer: NodeJS.Timeout;
  private unlink: (() => void) | null = null;
  /** `cancel` (optional) ends the attempt early, as cancelled. */
  constructor(ms: number, cancel?: AbortSignal) {
    this.timer = setTimeout(() => this.abort(new Error(`timed out after ${ms} ms`)), ms);
    if (!cancel) return;
    if (cancel.aborted) this.cancel();
    else {
      const onCancel = () => this.cancel();
      cancel.addEventListener('abort', onCancel, { once: true });
      this.unlink = () => cancel.removeEventListener('abort', onCancel);
    }
  }
  /** Ends the attempt before its deadline. */
  cancel(): void {
    if (this.aborted) return;
    this.cancelled = true;
    this.abort(new Error('cancelled'));
  }
  private abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.listener;
    this.listener = null;
    listener?.();
  }
  on(_event: 'abort', listener: () => void): this {
    this.listener = listener;
    return this;
  }
  once(event: 'abort', listener: () => void): this {
    return this.on(event, listener);
  }
  removeListener(_event: 'abort', listener: () => void): this {
    if (this.listener === listener) this.listener = null;
    return this;
  }
  clear(): void {
    clearTimeout(this.timer);
    this.listener = null;
    this.unlink?.();
  }
}

/** Reads a response to its end, keeping the first RESPONSE_EXCERPT_BYTES as text. */
function readExcerpt(body: NodeJS.ReadableStream & { destroy(): void }): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let seen = 0;
    const done = () => resolve(kept > 0 ? Buffer.concat(chunks).toString('utf8').replace(/\uFFFD+$/, '') : null);
    body.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (kept < RESPONSE_EXCERPT_BYTES) {
        const part = chunk.subarray(0, RESPONSE_EXCERPT_BYTES - kept);
        chunks.push(part);
        kept += part.length;
      }
      if (seen > MAX_DRAIN_BYTES) {
        body.destroy(); // not worth reading on: this connection is dropped instead of reused
        done();
      }
    });
    body.on('end', done);
    body.on('error', reject);
  });
}

export function createSender(opts: SenderOptions = {}): Sender {
  const timeoutMs = opts.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
  const now = opts.now ?? (() => performance.now());
  const ca = loadCa(opts.caFile);
  // One secure context for every connection: building one from ~140 root certificates costs
  // tens of milliseconds, which per connection was the largest cost of a cold start.
  const secureContext = ca ? createSecureContext({ ca }) : undefined;
  const agent = new Agent({
    connections: opts.connectionsPerOrigin ?? 32,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: timeoutMs, ...(secureContext ? { secureContext } : {}) },
  });

  // Webhook URLs repeat: parse each once.
  const targets = new Map<string, { origin: string; path: string }>();
  function target(raw: string): { origin: string; path: string } {
    let t = targets.get(raw);
    if (!t) {
      const url = new URL(raw);
      t = { origin: url.origin, path: url.pathname + url.search };
      if (targets.size > 10_000) targets.clear();
      targets.set(raw, t);
    }
    return t;
  }

  async function send(req: SendRequest): Promise<SendResult> {
    const started = now();
    const deadline = new Deadline(timeoutMs, req.cancel);
    try {
      const { origin, path } = target(req.url);
      const res = await agent.request({
        origin,
        path,
        method: 'POST',
        headers: req.headers,
        body: req.body,
        signal: deadline,
      });
      // Read the body within the same deadline: success means the whole response arrived in time.
      const excerpt = await readExcerpt(res.body);
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return {
        outcome: ok ? 'ok' : 'http_error',
        statusCode: res.statusCode,
        error: ok ? null : `HTTP ${res.statusCode}`,
        durationMs: now() - started,
        responseExcerpt: excerpt,
      };
    } catch (err) {
      const { outcome, error } = deadline.cancelled
        ? { outcome: 'network_error' as const, error: CANCELLED_ERROR }
        : classifyError(err, deadline.aborted, timeoutMs);
      return { outcome, statusCode: null, error, durationMs: now() - started, responseExcerpt: null };
    } finally {
      deadline.clear();
    }
  }

  return {
    send,
    close: async () => {
      await agent.close().catch(() => agent.destroy());
    },
  };
}
