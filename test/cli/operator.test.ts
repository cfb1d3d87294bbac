import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { json, runBin, runCli } from '../helpers/cli.js';
import { CA_FILE, tempDb } from '../helpers/paths.js';
import { start } from '../helpers/process.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

async function addHook(db: string, url: string, name = 'ops', events = '*'): Promise<string> {
  const r = await runCli(db, ['--json', 'add', '--name', name, '--url', url, '--auth', 'none', '--events', events]);
  assert.equal(r.code, 0, r.stderr);
  return json(r).id;
}

const serveOnce = (db: string, extra: string[] = []) =>
  runCli(db, ['serve', '--once', '--ca-file', CA_FILE, '--quiet', '--retry-schedule', '50ms,50ms,50ms', ...extra]);

describe('zwh test', () => {
  const t = tempDb();
  after(t.cleanup);

  it('reports a 2xx with status, latency and the start of the response, and records it', async () => {
    const rx = await startReceiver({ reply: () => ({ status: 200, body: '{"received":true}' }) });
    try {
      const id = await addHook(t.db, rx.url, 'test-ok', 'ticket.created');
      await runCli(t.db, ['disable', id]);
      const r = await runCli(t.db, ['test', id, '--ca-file', CA_FILE]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /✓ 200 in \d+ ms/);
      assert.match(r.stdout, /response: \{"received":true\}/);
      assert.equal(rx.requests[0]!.headers['x-zwh-event'], 'webhook.test');
      const body = JSON.parse(rx.requests[0]!.body);
      assert.equal(body.event, 'webhook.test');
      const j = json(await runCli(t.db, ['--json', 'test', id, '--ca-file', CA_FILE]));
      assert.deepEqual(Object.keys(j).sort(), ['delivery_id', 'duration_ms', 'error', 'ok', 'status_code']);
      assert.equal(j.ok, true);
      assert.equal(j.status_code, 200);
      assert.equal(j.error, null);
      const log = json(await runCli(t.db, ['--json', 'logs', j.delivery_id]));
      assert.equal(log.event, 'webhook.test');
      assert.equal(log.status, 'succeeded');
      assert.equal(log.attempts_detail.length, 1);
    } finally {
      await rx.close();
    }
  });

  it('exits 1 on a 500 and says so', async () => {
    const rx = await startReceiver({ reply: () => ({ status: 500, body: 'boom' }) });
    try {
      const id = await addHook(t.db, rx.url);
      const r = await runCli(t.db, ['--json', 'test', id, '--ca-file', CA_FILE]);
      assert.equal(r.code, 1);
      const j = json(r);
      assert.equal(j.ok, false);
      assert.equal(j.status_code, 500);
      assert.equal(j.error, 'HTTP 500');
      assert.equal(json(await runCli(t.db, ['--json', 'logs', j.delivery_id])).status, 'failed', 'a test is not retried');
    } finally {
      await rx.close();
    }
  });

  it('says "TLS certificate not trusted" for an untrusted certificate', async () => {
    const rx = await startReceiver({ untrusted: true });
    try {
      const id = await addHook(t.db, rx.url);
      const r = await runCli(t.db, ['test', id, '--ca-file', CA_FILE]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /✗ TLS certificate not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/);
      assert.equal(rx.requests.length, 0);
    } finally {
      await rx.close();
    }
  });

  it('says "timed out" after 5 s', async () => {
    const rx = await startReceiver({ reply: () => ({ status: 200, delayMs: 6_000 }) });
    try {
      const id = await addHook(t.db, rx.url);
      const r = await runCli(t.db, ['--json', 'test', id, '--ca-file', CA_FILE]);
      assert.equal(r.code, 1);
      const j = json(r);
      assert.match(j.error, /timed out after 5000 ms/);
      assert.ok(j.duration_ms >= 4_950 && j.duration_ms < 6_500, String(j.duration_ms));
    } finally {
      await rx.close();
    }
  });

  it('on Ctrl-C ends the send, records the test as failed and exits 130: nothing left for a serve', async () => {
    const rx = await startReceiver({ reply: () => ({ status: 200, delayMs: 8_000 }) });
    try {
      const id = await addHook(t.db, rx.url);
      const started = Date.now();
      const p = start(['--db', t.db, 'test', id, '--ca-file', CA_FILE]);
      await rx.waitFor(1, 10_000);
      p.child.kill('SIGINT');
      assert.equal(await p.exited(4_000), 130, p.output());
      assert.ok(Date.now() - started < 5_000, 'ended before the 5 s limit of the attempt');
      assert.match(p.output(), /cancelled; test delivery dlv_\w+ is recorded as failed/);
      const d = json(await runBin(['--db', t.db, '--json', 'logs', '--webhook', id, '--limit', '1']))[0];
      assert.equal(d.status, 'failed');
      assert.equal(d.last_error, 'cancelled before the receiver answered');
      assert.equal(json(await runBin(['--db', t.db, '--json', 'status'])).pending, 0);
    } finally {
      await rx.close();
    }
  });

  it('trusts a private CA given by NODE_EXTRA_CA_CERTS (the real binary)', async () => {
    const rx = await startReceiver();
    try {
      const id = await addHook(t.db, rx.url);
      const trusted = await runBin(['--db', t.db, '--json', 'test', id], { env: { NODE_EXTRA_CA_CERTS: CA_FILE } });
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.equal(json(trusted).status_code, 200);
      const untrusted = await runBin(['--db', t.db, '--json', 'test', id], { env: { NODE_EXTRA_CA_CERTS: '' } });
      assert.equal(untrusted.code, 1);
      assert.match(json(untrusted).error, /TLS certificate not trusted/);
    } finally {
      await rx.close();
    }
  });

  it('exits 3 for an unknown webhook', async () => {
    const r = await runCli(t.db, ['test', 'wh_nope']);
    assert.equal(r.code, 3);
  });
});

describe('zwh logs, replay, status and prune on history made by the engine', () => {
  const t = tempDb();
  let rx: Receiver;
  let healthy = false;
  let good: string;
  let bad: string;

  before(async () => {
    rx = await startReceiver({ reply: (req) => (req.path === '/good' || healthy ? { status: 200 } : { status: 503, body: 'maintenance' }) });
    good = await addHook(t.db, rx.url.replace('/hooks', '/good'), '工单通知', 'ticket.created,ticket.closed');
    bad = await addHook(t.db, rx.url.replace('/hooks', '/bad'), 'CRM', '*');
    for (let i = 0; i < 3; i++) await runCli(t.db, ['emit', 'ticket.created', '--id', `evt_ops_${i}`, '--data', JSON.stringify({ i })]);
    await runCli(t.db, ['emit', 'user.created', '--id', 'evt_ops_user', '--data', '{}']);
    assert.equal((await serveOnce(t.db)).code, 1, 'some deliveries ended failed');
  });
  after(async () => {
    await rx.close();
    t.cleanup();
  });

  it('filters by status, webhook, event, since and limit, newest first', async () => {
    const all = json(await runCli(t.db, ['--json', 'logs']));
    assert.equal(all.length, 7);
    assert.deepEqual(Object.keys(all[0]).sort(), ['attempts', 'created_at', 'event', 'event_id', 'id', 'last_error', 'last_status_code', 'replay_of', 'status', 'updated_at', 'webhook_id']);
    assert.equal(all[0].event_id, 'evt_ops_user', 'newest first');
    const failed = json(await runCli(t.db, ['--json', 'logs', '--failed']));
    assert.equal(failed.length, 4);
    assert.ok(failed.every((d: any) => d.webhook_id === bad && d.attempts === 4 && d.last_status_code === 503));
    assert.deepEqual(json(await runCli(t.db, ['--json', 'logs', '--status', 'succeeded'])).map((d: any) => d.webhook_id), [good, good, good]);
    assert.equal(json(await runCli(t.db, ['--json', 'logs', '--webhook', good])).length, 3);
    assert.equal(json(await runCli(t.db, ['--json', 'logs', '--event', 'user.created'])).length, 1);
    assert.equal(json(await runCli(t.db, ['--json', 'logs', '--limit', '2'])).length, 2);
    assert.equal(json(await runCli(t.db, ['--json', 'logs', '--since', '1h'])).length, 7);
    assert.equal(json(await runCli(t.db, ['--json', 'logs', '--since', '2999-01-01'])).length, 0);
    const bad1 = await runCli(t.db, ['logs', '--status', 'exploded']);
    assert.equal(bad1.code, 2);
    assert.equal((await runCli(t.db, ['logs', '--limit', 'many'])).code, 2);
    assert.equal((await runCli(t.db, ['logs', '--since', 'yesterday'])).code, 2);
  });

  it('prints a table that fits 80 columns', async () => {
    const r = await runCli(t.db, ['logs']);
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(lines.length >= 8);
    for (const line of lines.slice(0, -1)) {
      const width = [...line].reduce((w, ch) => w + (/[\u2e80-\ua4cf\uff00-\uff60]/.test(ch) ? 2 : 1), 0);
      assert.ok(width <= 80, `${width} columns: ${line}`);
    }
    assert.match(r.stdout, /工单通知/);
    assert.match(r.stdout, /failed/);
  });

  it('shows one delivery with every attempt', async () => {
    const [d] = json(await runCli(t.db, ['--json', 'logs', '--failed', '--limit', '1']));
    const detail = json(await runCli(t.db, ['--json', 'logs', d.id]));
    assert.equal(detail.attempts_detail.length, 4);
    assert.deepEqual(detail.attempts_detail.map((a: any) => a.attempt), [1, 2, 3, 4]);
    for (const a of detail.attempts_detail) {
      assert.equal(a.status_code, 503);
      assert.equal(a.response_excerpt, 'maintenance');
      assert.equal(typeof a.duration_ms, 'number');
      assert.match(a.started_at, /Z$/);
    }
    const text = (await runCli(t.db, ['logs', d.id])).stdout;
    assert.match(text, /attempt 4 .* HTTP 503/);
  });

  it('refuses to replay pending or succeeded deliveries without --force, and unknown ids, writing nothing', async () => {
    const [ok] = json(await runCli(t.db, ['--json', 'logs', '--status', 'succeeded', '--limit', '1']));
    const [failed] = json(await runCli(t.db, ['--json', 'logs', '--failed', '--limit', '1']));
    const r = await runCli(t.db, ['replay', failed.id, ok.id]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is succeeded: only failed deliveries are replayed \(add --force/);
    assert.equal((await runCli(t.db, ['replay', failed.id, 'dlv_nope'])).code, 3);
    assert.equal(json(await runCli(t.db, ['--json', 'logs'])).length, 7, 'nothing queued');
  });

  it('--dry-run lists what would be replayed and writes nothing', async () => {
    const r = json(await runCli(t.db, ['--json', 'replay', '--failed', '--dry-run']));
    assert.equal(r.queued, 0);
    assert.equal(r.would_replay.length, 4);
    assert.equal(json(await runCli(t.db, ['--json', 'logs'])).length, 7);
  });

  it('replays failed deliveries once the receiver recovers, with the same event id and body', async () => {
    const failedBodies = new Map(rx.requests.filter((q) => q.path === '/bad').map((q) => [q.headers['x-zwh-event-id'], q.body]));
    healthy = true;
    const r = await runCli(t.db, ['--json', 'replay', '--failed', '--webhook', bad, '--event', 'ticket.created']);
    assert.equal(r.code, 0, r.stderr);
    const out = json(r);
    assert.equal(out.queued, 3);
    assert.match(r.stderr, /no serve is running/);
    const sent = rx.requests.length;
    assert.equal((await serveOnce(t.db)).code, 0);
    const replayed = rx.requests.slice(sent);
    assert.equal(replayed.length, 3);
    for (const q of replayed) {
      assert.equal(q.body, failedBodies.get(q.headers['x-zwh-event-id']), 'same body, byte for byte');
      assert.ok(out.deliveries.includes(q.headers['x-zwh-delivery-id']));
    }
    const detail = json(await runCli(t.db, ['--json', 'logs', out.deliveries[0]]));
    assert.equal(detail.status, 'succeeded');
    assert.match(detail.replay_of, /^dlv_/);
    const original = json(await runCli(t.db, ['--json', 'logs', detail.replay_of]));
    assert.equal(original.event_id, detail.event_id);
    assert.deepEqual(original.replays, [detail.id]);
    const again = json(await runCli(t.db, ['--json', 'replay', '--failed', '--webhook', bad, '--event', 'ticket.created', '--dry-run']));
    assert.equal(again.would_replay.length, 0, 'a replayed delivery is not replayed again');
  });

  it('status counts states, success rate and per-webhook health', async () => {
    const s = json(await runCli(t.db, ['--json', 'status']));
    assert.equal(s.pending, 0);
    assert.equal(s.succeeded, 6);
    assert.equal(s.failed, 4);
    assert.equal(s.serve_alive, false);
    assert.equal(s.success_rate_24h, 0.6);
    const badHealth = s.webhooks.find((w: any) => w.id === bad);
    assert.equal(badHealth.consecutive_failures, 0, 'its newest deliveries succeeded');
    assert.match(badHealth.last_success_at, /Z$/);
    const text = (await runCli(t.db, ['status'])).stdout;
    assert.match(text, /60\.0% of 10 succeeded/);
    assert.match(text, /not running/);
  });

  it('logs --follow streams new attempts until Ctrl-C', async () => {
    const follower = start(['--db', t.db, '--json', 'logs', '--follow']);
    try {
      await follower.waitForOutput(/following new attempts/);
      await runCli(t.db, ['emit', 'ticket.closed', '--id', 'evt_follow', '--data', '{}']);
      await serveOnce(t.db);
      await follower.waitForOutput(/evt_follow|"event":"ticket.closed"/);
      follower.child.kill('SIGINT');
      assert.equal(await follower.exited(5_000), 0);
      const lines = follower.output().split('\n').filter((l) => l.startsWith('{'));
      assert.ok(lines.length >= 2);
      const parsed = lines.map((l) => JSON.parse(l));
      assert.ok(parsed.every((p) => p.event === 'ticket.closed' && typeof p.attempt === 'number'));
    } finally {
      follower.child.kill('SIGKILL');
    }
  });

  it('prune removes finished history older than the cut, never pending work', async () => {
    await runCli(t.db, ['disable', good]);
    await runCli(t.db, ['disable', bad]);
    const pendingHook = await addHook(t.db, rx.url, 'pending', 'user.updated');
    await runCli(t.db, ['disable', pendingHook]);
    await runCli(t.db, ['enable', pendingHook]);
    await runCli(t.db, ['emit', 'user.updated', '--data', '{}']);
    const before = json(await runCli(t.db, ['--json', 'logs', '--limit', '1000'])).length;
    const future = () => Date.now() + 40 * 86_400_000;
    const dry = json(await runCli(t.db, ['--json', 'prune', '--older-than', '30d', '--dry-run'], { clock: future }));
    assert.equal(dry.deliveries, before - 1);
    assert.equal(json(await runCli(t.db, ['--json', 'logs', '--limit', '1000'])).length, before, 'dry run removed nothing');
    assert.equal(json(await runCli(t.db, ['--json', 'prune', '--older-than', '30d'])).deliveries, 0, 'nothing is 30 days old yet');
    const r = json(await runCli(t.db, ['--json', 'prune', '--older-than', '30d'], { clock: future }));
    assert.equal(r.deliveries, before - 1);
    const left = json(await runCli(t.db, ['--json', 'logs', '--limit', '1000']));
    assert.equal(left.length, 1);
    assert.equal(left[0].status, 'pending');
    const d = new Database(t.db, { readonly: true });
    assert.equal((d.prepare('SELECT count(*) AS n FROM attempts').get() as { n: number }).n, 0);
    assert.equal((d.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 1);
    d.close();
    assert.equal((await runCli(t.db, ['prune'])).code, 2);
  });
});
