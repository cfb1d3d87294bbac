import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { json, runBin } from '../helpers/cli.js';
import { CA_FILE, tempDb } from '../helpers/paths.js';
import { eventually, start } from '../helpers/process.js';
import { startReceiver } from '../helpers/receiver.js';

async function setup(db: string, url: string, events: number): Promise<string[]> {
  const add = await runBin(['--db', db, '--json', 'add', '--name', 'crash', '--url', url, '--auth', 'none', '--events', '*']);
  assert.equal(add.code, 0, add.stderr);
  const ids = Array.from({ length: events }, (_, i) => `evt_proc_${i}`);
  const lines = ids.map((id, i) => JSON.stringify({ event: 'ticket.created', id, data: { i } })).join('\n');
  const r = await runBin(['--db', db, '--json', 'emit', '--ndjson', '-'], { input: lines });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(json(r).deliveries, events);
  return ids;
}

function stuck(db: string): { pending: number; leased: number } {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare("SELECT count(*) AS pending, count(lease_owner) AS leased FROM deliveries WHERE status = 'pending'").get() as { pending: number; leased: number };
  } finally {
    d.close();
  }
}

describe('crash safety and daemon manners (the real binary)', () => {
  it('loses nothing when serve is killed with SIGKILL mid-flight: a restart delivers every event', async () => {
    const t = tempDb();
    const rx = await startReceiver({ reply: () => ({ status: 200, delayMs: 40 }) });
    try {
      const ids = await setup(t.db, rx.url, 400);
      const serve = start(['--db', t.db, 'serve', '--ca-file', CA_FILE, '--concurrency', '32', '--lease', '11s', '--quiet']);
      await rx.waitFor(120, 20_000);
      serve.child.kill('SIGKILL');
      assert.equal(await serve.exited(), null, 'killed');
      const before = stuck(t.db);
      assert.ok(before.leased > 0, `deliveries were in flight when it died (${before.leased} leased)`);
      const restart = await runBin(['--db', t.db, 'serve', '--once', '--ca-file', CA_FILE, '--concurrency', '32', '--lease', '11s', '--quiet'], { timeoutMs: 60_000 });
      assert.equal(restart.code, 0, restart.stdout + restart.stderr);
      const got = new Set(rx.requests.map((r) => r.headers['x-zwh-event-id']));
      assert.deepEqual(ids.filter((id) => !got.has(id)), [], 'no event is missing');
      assert.deepEqual(stuck(t.db), { pending: 0, leased: 0 });
    } finally {
      await rx.close();
      t.cleanup();
    }
  });

  it('two serves on one database deliver everything, nothing twice', async () => {
    const t = tempDb();
    const rx = await startReceiver({ reply: () => ({ status: 200, delayMs: 5 }) });
    try {
      const ids = await setup(t.db, rx.url, 600);
      const args = ['--db', t.db, 'serve', '--once', '--ca-file', CA_FILE, '--concurrency', '16', '--quiet'];
      const [a, b] = await Promise.all([runBin(args, { timeoutMs: 60_000 }), runBin(args, { timeoutMs: 60_000 })]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const counts = new Map<string, number>();
      for (const r of rx.requests) counts.set(String(r.headers['x-zwh-event-id']), (counts.get(String(r.headers['x-zwh-event-id'])) ?? 0) + 1);
      assert.equal(counts.size, ids.length, 'all delivered');
      assert.deepEqual([...counts].filter(([, n]) => n > 1), [], 'none twice');
      const d = new Database(t.db, { readonly: true });
      const owners = d.prepare('SELECT count(DISTINCT a.delivery_seq) AS n FROM attempts a').get() as { n: number };
      d.close();
      assert.equal(owners.n, 600);
    } finally {
      await rx.close();
      t.cleanup();
    }
  });

  it('on SIGTERM finishes in-flight sends within the grace period, exits 0 and leaves nothing stuck', async () => {
    const t = tempDb();
    const rx = await startReceiver({ reply: () => ({ status: 200, delayMs: 1_500 }) });
    try {
      await setup(t.db, rx.url, 30);
      const serve = start(['--db', t.db, 'serve', '--ca-file', CA_FILE, '--concurrency', '8', '--per-webhook', '8', '--grace', '4s']);
      await rx.waitFor(8, 10_000);
      const sent = Date.now();
      serve.child.kill('SIGTERM');
      assert.equal(await serve.exited(10_000), 0, serve.output());
      const took = Date.now() - sent;
      assert.ok(took < 4_000 + 2_000, `exited ${took} ms after SIGTERM`);
      assert.match(serve.output(), /SIGTERM: finishing in-flight deliveries/);
      const left = stuck(t.db);
      assert.equal(left.leased, 0, 'no lease left behind');
      assert.equal(left.pending, 30 - rx.requests.length, 'what was not sent is still pending, due at once');
      const status = json(await runBin(['--db', t.db, '--json', 'status']));
      assert.equal(status.serve_alive, false, 'the heartbeat row says it stopped');
    } finally {
      await rx.close();
      t.cleanup();
    }
  });

  it('a second signal exits at once', async () => {
    const t = tempDb();
    const rx = await startReceiver({ reply: () => ({ status: 200, delayMs: 4_500 }) });
    try {
      await setup(t.db, rx.url, 4);
      const serve = start(['--db', t.db, 'serve', '--ca-file', CA_FILE, '--grace', '30s']);
      await rx.waitFor(4, 10_000);
      serve.child.kill('SIGINT');
      await serve.waitForOutput(/SIGINT: finishing/);
      const second = Date.now();
      serve.child.kill('SIGINT');
      assert.equal(await serve.exited(3_000), 130);
      assert.ok(Date.now() - second < 2_000);
    } finally {
      await rx.close();
      t.cleanup();
    }
  });

  it('runs detached with a pid file, is seen alive by status, and stops with zwh stop', async () => {
    const t = tempDb();
    try {
      const r = await runBin(['--db', t.db, '--json', 'serve', '--detach']);
      assert.equal(r.code, 0, r.stderr);
      const info = json(r);
      assert.ok(existsSync(info.pid_file));
      await eventually(async () => json(await runBin(['--db', t.db, '--json', 'status'])).serve_alive === true, 10_000, 'serve_alive');
      const stop = await runBin(['--db', t.db, 'stop']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, /stopped serve \(pid \d+\)/);
      assert.ok(!existsSync(info.pid_file), 'pid file removed');
      assert.equal(json(await runBin(['--db', t.db, '--json', 'status'])).serve_alive, false);
      const again = await runBin(['--db', t.db, 'stop']);
      assert.equal(again.code, 3);
      assert.match(again.stderr, /no detached serve/);
    } finally {
      t.cleanup();
    }
  });
});
