import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { json, runCli } from '../helpers/cli.js';
import { CA_FILE, tempDb } from '../helpers/paths.js';
import { startReceiver, type Receiver, type Reply } from '../helpers/receiver.js';

const SECRET = 'whsec_receiver_test_secret_0001';

/** The receiver check of the 智服云 guide, in Node. */
function verify(body: string, header: string | undefined, secret: string): boolean {
  return header === 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

async function addHook(db: string, url: string, extra: string[] = []): Promise<string> {
  const r = await runCli(db, ['--json', 'add', '--name', 'hook', '--url', url, '--auth', 'none', '--events', '*', '--secret', SECRET, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return json(r).id;
}

async function serveOnce(db: string, extra: string[] = []) {
  return runCli(db, ['serve', '--once', '--ca-file', CA_FILE, '--quiet', ...extra]);
}

async function withReceiver(reply: ((req: any, i: number) => Reply) | undefined, fn: (r: Receiver) => Promise<void>) {
  const r = await startReceiver({ reply });
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

describe('the request a receiver gets', () => {
  const t = tempDb();
  after(t.cleanup);

  it('is the signed wire format of SPEC §4 with every header', async () => {
    await withReceiver(undefined, async (rx) => {
      const hook = await addHook(t.db, rx.url, []);
      await runCli(t.db, ['update', hook, '--auth', 'bearer', '--token', 'bearer-tok-1']);
      const emitted = json(await runCli(t.db, ['--json', 'emit', 'ticket.created', '--id', 'evt_wire_1', '--data', '{"ticket_id":"T-1","subject":"打印机坏了"}']));
      assert.deepEqual(emitted, { id: 'evt_wire_1', event: 'ticket.created', deliveries: 1 });
      const before = Math.floor(Date.now() / 1000);
      const r = await serveOnce(t.db);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.equal(rx.requests.length, 1);
      const req = rx.requests[0]!;
      assert.equal(req.path, '/hooks');
      assert.equal(req.headers['content-type'], 'application/json');
      assert.match(String(req.headers['user-agent']), /^zwh\/\d+\.\d+\.\d+$/);
      assert.equal(req.headers['x-zwh-event'], 'ticket.created');
      assert.equal(req.headers['x-zwh-event-id'], 'evt_wire_1');
      assert.match(String(req.headers['x-zwh-delivery-id']), /^dlv_/);
      assert.equal(req.headers['x-zwh-attempt'], '1');
      const sentAt = Number(req.headers['x-zwh-timestamp']);
      assert.ok(sentAt >= before - 1 && sentAt <= Math.ceil(Date.now() / 1000), `timestamp ${sentAt}`);
      assert.equal(req.headers['authorization'], 'Bearer bearer-tok-1');
      assert.ok(verify(req.body, req.headers['x-zwh-signature'] as string, SECRET), 'X-Zwh-Signature verifies');
      const body = JSON.parse(req.body);
      assert.deepEqual(Object.keys(body), ['id', 'event', 'timestamp', 'signature', 'data']);
      assert.equal(body.id, 'evt_wire_1');
      assert.deepEqual(body.data, { ticket_id: 'T-1', subject: '打印机坏了' });
      assert.match(body.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(req.body, JSON.stringify(body), 'compact JSON');
      const { signature, ...unsigned } = body;
      assert.ok(verify(JSON.stringify(unsigned), signature, SECRET), 'the body signature covers the body without it');
      const log = json(await runCli(t.db, ['--json', 'logs', String(req.headers['x-zwh-delivery-id'])]));
      assert.equal(log.status, 'succeeded');
      assert.equal(log.attempts_detail.length, 1);
      assert.equal(log.attempts_detail[0].status_code, 200);
      assert.equal(log.attempts_detail[0].response_excerpt, 'ok');
      await runCli(t.db, ['remove', hook, '--yes']);
    });
  });

  it('sends Basic credentials as base64(user:pass)', async () => {
    await withReceiver(undefined, async (rx) => {
      const hook = await addHook(t.db, rx.url);
      await runCli(t.db, ['update', hook, '--auth', 'basic', '--username', 'crm', '--password', 'p@ss:word']);
      await runCli(t.db, ['emit', 'user.created', '--data', '{}']);
      assert.equal((await serveOnce(t.db)).code, 0);
      assert.equal(rx.requests[0]!.headers['authorization'], 'Basic ' + Buffer.from('crm:p@ss:word').toString('base64'));
      await runCli(t.db, ['remove', hook, '--yes']);
    });
  });

  it('fans out to every enabled subscriber, skipping disabled and unsubscribed ones', async () => {
    const rxs = await Promise.all([1, 2, 3, 4, 5].map(() => startReceiver()));
    try {
      const ids = [];
      for (const rx of rxs.slice(0, 3)) ids.push(await addHook(t.db, rx.url, ['--events', 'ticket.resolved']));
      await addHook(t.db, rxs[3]!.url, ['--events', 'ticket.resolved', '--disabled']);
      await addHook(t.db, rxs[4]!.url, ['--events', 'ticket.created']);
      const e = json(await runCli(t.db, ['--json', 'emit', 'ticket.resolved', '--data', '{"ticket_id":"T-9"}']));
      assert.equal(e.deliveries, 3);
      assert.equal((await serveOnce(t.db)).code, 0);
      assert.deepEqual(rxs.map((r) => r.requests.length), [1, 1, 1, 0, 0]);
      for (const rx of rxs.slice(0, 3)) assert.equal(rx.requests[0]!.headers['x-zwh-event-id'], e.id);
      for (const id of ids) await runCli(t.db, ['remove', id, '--yes']);
    } finally {
      await Promise.all(rxs.map((r) => r.close()));
    }
  });
});

describe('retries', () => {
  const t = tempDb();
  after(t.cleanup);

  it('500, 500, 200 succeeds on attempt 3 after real 1 s and 5 s gaps', async () => {
    await withReceiver((_req, i) => ({ status: i < 2 ? 500 : 200, body: i < 2 ? 'oops' : 'fine' }), async (rx) => {
      const hook = await addHook(t.db, rx.url);
      await runCli(t.db, ['emit', 'ticket.updated', '--data', '{}']);
      const r = await serveOnce(t.db);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(rx.requests.length, 3);
      assert.deepEqual(rx.requests.map((q) => q.headers['x-zwh-attempt']), ['1', '2', '3']);
      const eventIds = new Set(rx.requests.map((q) => q.headers['x-zwh-event-id']));
      assert.equal(eventIds.size, 1, 'the same event id on every retry');
      const gap1 = rx.requests[1]!.at - rx.requests[0]!.at;
      const gap2 = rx.requests[2]!.at - rx.requests[1]!.at;
      assert.ok(gap1 >= 950 && gap1 < 3_000, `first gap ${gap1} ms`);
      assert.ok(gap2 >= 4_950 && gap2 < 8_000, `second gap ${gap2} ms`);
      const [d] = json(await runCli(t.db, ['--json', 'logs', '--webhook', hook]));
      assert.equal(d.status, 'succeeded');
      assert.equal(d.attempts, 3);
      const detail = json(await runCli(t.db, ['--json', 'logs', d.id]));
      assert.deepEqual(detail.attempts_detail.map((a: any) => a.status_code), [500, 500, 200]);
      assert.equal(detail.attempts_detail[0].response_excerpt, 'oops');
      await runCli(t.db, ['remove', hook, '--yes']);
    });
  });

  it('always 503: exactly four attempts, then failed with its last error (and serve --once exits 1)', async () => {
    await withReceiver(() => ({ status: 503, body: 'down' }), async (rx) => {
      const hook = await addHook(t.db, rx.url);
      await runCli(t.db, ['emit', 'ticket.updated', '--data', '{}']);
      const r = await serveOnce(t.db, ['--retry-schedule', '100ms,100ms,100ms']);
      assert.equal(r.code, 1, 'a delivery ended failed');
      assert.equal(rx.requests.length, 4);
      const [d] = json(await runCli(t.db, ['--json', 'logs', '--webhook', hook]));
      assert.equal(d.status, 'failed');
      assert.equal(d.attempts, 4);
      assert.equal(d.last_status_code, 503);
      assert.equal(d.last_error, 'HTTP 503');
      await runCli(t.db, ['remove', hook, '--yes']);
    });
  });

  it('a 7 s response fails at 5 s', async () => {
    await withReceiver((_req, i) => (i === 0 ? { status: 200, delayMs: 7_000 } : { status: 200 }), async (rx) => {
      const hook = await addHook(t.db, rx.url);
      await runCli(t.db, ['emit', 'ticket.updated', '--data', '{}']);
      assert.equal((await serveOnce(t.db, ['--retry-schedule', '100ms'])).code, 0);
      const [d] = json(await runCli(t.db, ['--json', 'logs', '--webhook', hook]));
      const detail = json(await runCli(t.db, ['--json', 'logs', d.id]));
      const first = detail.attempts_detail[0];
      assert.equal(first.status_code, null);
      assert.match(first.error, /timed out after 5000 ms/);
      assert.ok(first.duration_ms >= 4_950 && first.duration_ms < 6_500, `timed out after ${first.duration_ms} ms`);
      assert.equal(detail.attempts_detail[1].status_code, 200);
      await runCli(t.db, ['remove', hook, '--yes']);
    });
  });

  it('does not follow a 302', async () => {
    await withReceiver(() => ({ status: 302, headers: { location: '/elsewhere' } }), async (rx) => {
      const hook = await addHook(t.db, rx.url);
      await runCli(t.db, ['emit', 'ticket.updated', '--data', '{}']);
      assert.equal((await serveOnce(t.db, ['--retry-schedule', '50ms'])).code, 1);
      assert.deepEqual(rx.requests.map((q) => q.path), ['/hooks', '/hooks']);
      const [d] = json(await runCli(t.db, ['--json', 'logs', '--webhook', hook]));
      assert.equal(d.last_status_code, 302);
      assert.equal(d.status, 'failed');
      await runCli(t.db, ['remove', hook, '--yes']);
    });
  });

  it('records a connection reset and a refused port as failed attempts', async () => {
    await withReceiver(() => ({ destroy: true }), async (rx) => {
      const reset = await addHook(t.db, rx.url);
      const free = createServer();
      await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
      const port = (free.address() as { port: number }).port;
      await new Promise((r) => free.close(r));
      const refused = await addHook(t.db, `https://127.0.0.1:${port}/hooks`);
      await runCli(t.db, ['emit', 'ticket.updated', '--data', '{}']);
      assert.equal((await serveOnce(t.db, ['--retry-schedule', '50ms'])).code, 1);
      const [r1] = json(await runCli(t.db, ['--json', 'logs', '--webhook', reset]));
      const [r2] = json(await runCli(t.db, ['--json', 'logs', '--webhook', refused]));
      assert.equal(r1.attempts, 2);
      assert.match(r1.last_error, /closed|reset|socket/i);
      assert.equal(r2.attempts, 2);
      assert.match(r2.last_error, /connection refused \(ECONNREFUSED\)/);
      await runCli(t.db, ['remove', reset, '--yes']);
      await runCli(t.db, ['remove', refused, '--yes']);
    });
  });
});

describe('parallel and fair', () => {
  const t = tempDb();
  after(t.cleanup);

  it('a slow endpoint (4 s per response) does not delay a fast one', async () => {
    const slow = await startReceiver({ reply: () => ({ status: 200, delayMs: 4_000 }) });
    const fast = await startReceiver();
    try {
      await addHook(t.db, slow.url, ['--events', 'ticket.closed']);
      await addHook(t.db, fast.url, ['--events', 'ticket.created']);
      // The slow endpoint's events come first, so a FIFO without fairness would block on them.
      const lines = [
        ...Array.from({ length: 4 }, (_, i) => JSON.stringify({ event: 'ticket.closed', data: { i } })),
        ...Array.from({ length: 20 }, (_, i) => JSON.stringify({ event: 'ticket.created', data: { i } })),
      ].join('\n');
      await runCli(t.db, ['emit', '--ndjson', '-'], { stdin: lines });
      const started = Date.now();
      const serving = serveOnce(t.db, ['--concurrency', '4']);
      await fast.waitFor(20, 15_000);
      const fastDone = Date.now() - started;
      assert.ok(fastDone < 3_000, `fast endpoint got all 20 after ${fastDone} ms`);
      assert.ok(slow.requests.length <= 2, 'the slow one holds only its share of the slots');
      assert.equal((await serving).code, 0);
      assert.equal(slow.requests.length, 4);
    } finally {
      await slow.close();
      await fast.close();
    }
  });
});
