import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { migrate, openDatabase } from '../../src/store/open.js';
import { LATEST_VERSION, MIGRATIONS } from '../../src/store/migrations.js';
import { historySql, replayableSql } from '../../src/store/deliveries-repo.js';
import { openStore } from '../../src/store/store.js';
import { startCheckpointer } from '../../src/store/checkpointer.js';
import type { SendResult } from '../../src/domain/types.js';
import { tempDb } from '../helpers/paths.js';
import { eventually } from '../helpers/process.js';
import { seedEvents, seedWebhook } from '../helpers/seed.js';

const OK: SendResult = { outcome: 'ok', statusCode: 200, error: null, durationMs: 3, responseExcerpt: 'ok' };
const FAIL: SendResult = { outcome: 'http_error', statusCode: 503, error: 'HTTP 503', durationMs: 3, responseExcerpt: null };

describe('migrations', () => {
  const t = tempDb();
  after(t.cleanup);

  it('bring a new file to the latest version, and running them again changes nothing', () => {
    const db = openDatabase(t.db);
    assert.equal(db.pragma('user_version', { simple: true }), LATEST_VERSION);
    const schema = () => db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all();
    const before = schema();
    migrate(db, t.db);
    migrate(db, t.db);
    assert.deepEqual(schema(), before);
    assert.equal(db.pragma('user_version', { simple: true }), LATEST_VERSION);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    db.close();
  });

  it('refuse migrations that do not go up', () => {
    const db = new Database(':memory:');
    assert.throws(() => migrate(db, ':memory:', [MIGRATIONS[0]!, { version: 1, up: '' }]), /only go up/);
    db.close();
  });

  it('apply only the entries above the stored version, each with its bump', () => {
    const db = new Database(':memory:');
    migrate(db, ':memory:', [MIGRATIONS[0]!]);
    migrate(db, ':memory:', [MIGRATIONS[0]!, { version: 2, up: 'CREATE TABLE extra (x INTEGER) STRICT;' }]);
    assert.equal(db.pragma('user_version', { simple: true }), 2);
    assert.ok(db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'extra'").get());
    db.close();
  });

  it('upgrade a version-1 file in place, keeping its rows', () => {
    const v1 = tempDb();
    try {
      const old = new Database(v1.db);
      old.pragma('journal_mode = WAL');
      migrate(old, v1.db, [MIGRATIONS[0]!]);
      old.prepare("INSERT INTO webhooks (id, name, url, auth_type, secret, events, enabled, created_at, updated_at) VALUES ('wh_old', 'old', 'https://a.example.com/', 'none', 'whsec_x', '[\"*\"]', 1, 1, 1)").run();
      old.close();
      const store = openStore(v1.db);
      assert.equal(store.db.pragma('user_version', { simple: true }), LATEST_VERSION);
      assert.ok(store.db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'deliveries_by_webhook_status'").get());
      assert.equal(store.webhooks.list().map((w) => w.id).join(), 'wh_old');
      store.close();
    } finally {
      v1.cleanup();
    }
  });
});

describe('the delivery queue', () => {
  const t = tempDb();
  const store = openStore(t.db);
  after(() => {
    store.close();
    t.cleanup();
  });

  it('finds due work through the partial due index, not a table scan', () => {
    const plan = store.db
      .prepare(`EXPLAIN QUERY PLAN SELECT d.seq FROM deliveries d JOIN events e ON e.id = d.event_id
                WHERE d.status = 'pending' AND d.webhook_id = ? AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?`)
      .all('wh_x', 0, 10) as { detail: string }[];
    const text = plan.map((p) => p.detail).join(' | ');
    assert.match(text, /SEARCH d USING INDEX deliveries_by_due \(webhook_id=\? AND next_attempt_at<\?\)/);
    assert.doesNotMatch(text, /SCAN d/);
    assert.doesNotMatch(text, /TEMP B-TREE/);
  });

  it('answers history filters from indexes, newest first, without sorting', () => {
    const plan = (sql: string) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ status: 'failed', webhookId: 'x', eventType: 'e', since: 0, limit: 50 }) as { detail: string }[])
        .map((p) => p.detail).join(' | ');
    for (const [filter, index] of [
      [{ status: 'failed' }, 'deliveries_by_status'],
      [{ status: 'pending' }, 'deliveries_by_status'],
      [{ webhookId: 'x' }, 'deliveries_by_webhook'],
      [{ eventType: 'e' }, 'deliveries_by_event_type'],
      [{ webhookId: 'x', status: 'failed' }, 'deliveries_by_webhook_status'],
    ] as const) {
      const p = plan(historySql(filter));
      assert.match(p, new RegExp(`USING INDEX ${index} `), p);
      assert.doesNotMatch(p, /TEMP B-TREE/, p);
    }
    // Succeeded rows are most of any history: newest first along the table finds them at once.
    const p = plan(historySql({ status: 'succeeded' }));
    assert.match(p, /SCAN deliveries/, p);
    assert.doesNotMatch(p, /TEMP B-TREE/, p);
    const r = plan(replayableSql({ webhookId: 'x' }));
    assert.match(r, /USING INDEX deliveries_by_webhook_status/, r);
  });

  it('leases claimed rows, and re-claims a delivery whose lease expired', () => {
    const w = seedWebhook(store);
    seedEvents(store, 1, 1_000);
    const room = () => 10;
    const first = store.deliveries.claimDue({ owner: 'a', now: 1_000, leaseUntil: 31_000, limit: 10, room });
    assert.equal(first.length, 1);
    assert.equal(first[0]!.webhookId, w.id);
    assert.equal(first[0]!.attempt, 1);
    assert.equal(store.deliveries.claimDue({ owner: 'b', now: 30_999, leaseUntil: 60_000, limit: 10, room }).length, 0, 'leased');
    const again = store.deliveries.claimDue({ owner: 'b', now: 31_000, leaseUntil: 61_000, limit: 10, room });
    assert.equal(again.length, 1, 'the lease ran out: b takes it over');
    assert.equal(again[0]!.id, first[0]!.id);
    // a, which lost the lease, cannot settle it; b can.
    assert.equal(store.deliveries.settle('a', [{ seq: first[0]!.seq, attempt: 1, startedAt: 1_000, result: OK, status: 'succeeded', nextAttemptAt: null }], 2_000), 0);
    assert.equal(store.deliveries.settle('b', [{ seq: again[0]!.seq, attempt: 1, startedAt: 31_000, result: OK, status: 'succeeded', nextAttemptAt: null }], 31_500), 1);
    const row = store.deliveries.find(first[0]!.id)!;
    assert.equal(row.status, 'succeeded');
    assert.equal(row.lease_owner, null);
    assert.equal(store.deliveries.attemptsOf(row.seq).length, 1, 'only the settling owner records an attempt');
    store.webhooks.setEnabled(w.id, false, 0);
  });

  it('schedules retries and makes them due at their time only', () => {
    const w = seedWebhook(store);
    seedEvents(store, 1, 100_000);
    const room = () => 10;
    const [d] = store.deliveries.claimDue({ owner: 'a', now: 100_000, leaseUntil: 130_000, limit: 10, room });
    store.deliveries.settle('a', [{ seq: d!.seq, attempt: 1, startedAt: 100_000, result: FAIL, status: 'pending', nextAttemptAt: 101_000 }], 100_010);
    assert.equal(store.deliveries.nextDueAt(), 101_000);
    assert.equal(store.deliveries.claimDue({ owner: 'a', now: 100_999, leaseUntil: 130_000, limit: 10, room }).length, 0);
    const [retry] = store.deliveries.claimDue({ owner: 'a', now: 101_000, leaseUntil: 131_000, limit: 10, room });
    assert.equal(retry!.attempt, 2);
    store.deliveries.settle('a', [{ seq: retry!.seq, attempt: 2, startedAt: 101_000, result: FAIL, status: 'failed', nextAttemptAt: null }], 101_010);
    const row = store.deliveries.find(d!.id)!;
    assert.equal(row.status, 'failed');
    assert.equal(row.attempts, 2);
    assert.equal(row.last_status_code, 503);
    assert.equal(store.deliveries.nextDueAt(), null);
    store.webhooks.setEnabled(w.id, false, 0);
  });

  it('shares a claim fairly between webhooks and respects each one\'s room', () => {
    const a = seedWebhook(store);
    const b = seedWebhook(store);
    seedEvents(store, 20, 200_000);
    const claimed = store.deliveries.claimDue({ owner: 'f', now: 200_000, leaseUntil: 230_000, limit: 10, room: () => 100 });
    assert.equal(claimed.filter((d) => d.webhookId === a.id).length, 5);
    assert.equal(claimed.filter((d) => d.webhookId === b.id).length, 5);
    const capped = store.deliveries.claimDue({ owner: 'f', now: 200_000, leaseUntil: 230_000, limit: 10, room: (id) => (id === a.id ? 2 : 100) });
    assert.equal(capped.filter((d) => d.webhookId === a.id).length, 2);
    assert.equal(capped.filter((d) => d.webhookId === b.id).length, 8, 'what a cannot take goes to b');
  });

  it('releases leases so the rows are due at once', () => {
    const w = seedWebhook(store);
    for (const other of store.webhooks.list()) if (other.id !== w.id) store.webhooks.setEnabled(other.id, false, 0);
    seedEvents(store, 3, 300_000);
    const claimed = store.deliveries.claimDue({ owner: 'r', now: 300_000, leaseUntil: 330_000, limit: 10, room: () => 10 });
    assert.equal(claimed.length, 3);
    assert.equal(store.deliveries.releaseLeases('r', claimed.map((d) => d.seq), 300_001), 3);
    assert.equal(store.deliveries.claimDue({ owner: 's', now: 300_001, leaseUntil: 330_000, limit: 10, room: () => 10 }).length, 3);
  });
});

describe('the counts kept beside the deliveries', () => {
  it('match the deliveries table after every kind of write', async () => {
    const t = tempDb();
    const store = openStore(t.db);
    try {
      const actual = () => {
        const out = { pending: 0, succeeded: 0, failed: 0 };
        for (const r of store.db.prepare('SELECT status, count(*) AS n FROM deliveries GROUP BY status').all() as { status: 'pending'; n: number }[]) out[r.status] = r.n;
        return out;
      };
      const a = seedWebhook(store);
      const b = seedWebhook(store);
      seedEvents(store, 10, 1_000);
      assert.deepEqual(store.deliveries.countsByStatus(), actual());
      const claimed = store.deliveries.claimDue({ owner: 'o', now: 1_000, leaseUntil: 2_000, limit: 8, room: () => 100 });
      store.deliveries.settle('o', claimed.map((d, i) => ({
        seq: d.seq, attempt: 1, startedAt: 1_000, result: i % 2 ? OK : FAIL, status: i % 2 ? 'succeeded' : i % 4 ? 'failed' : 'pending', nextAttemptAt: i % 4 ? null : 5_000,
      })), 1_500);
      assert.deepEqual(store.deliveries.countsByStatus(), actual());
      store.events.insertReplays([{ id: claimed[2]!.id, eventId: claimed[2]!.eventId, eventType: 'ticket.created', webhookId: a.id }], 1_600, () => 'dlv_replay_1');
      store.events.recordDirected({ id: 'evt_direct', type: 'webhook.test', occurredAt: 1, dataJson: '{}' }, b.id, 'dlv_direct', 't', 9_000, 1_700);
      assert.deepEqual(store.deliveries.countsByStatus(), actual());
      store.webhooks.remove(b.id, 1_800);
      assert.deepEqual(store.deliveries.countsByStatus(), actual());
      const finished = store.deliveries.finishedSince(0);
      const rows = actual();
      assert.equal(finished.succeeded + finished.failed, rows.succeeded + rows.failed, 'every finished delivery is in an hour');
      while (store.deliveries.pruneChunk(1_000_000, 3) > 0);
      assert.deepEqual(store.deliveries.countsByStatus(), actual());
      assert.equal(actual().succeeded + actual().failed, 0);
    } finally {
      store.close();
      t.cleanup();
    }
  });
});

describe('the status indexes', () => {
  const t = tempDb();
  const store = openStore(t.db);
  after(() => {
    store.close();
    t.cleanup();
  });

  it('keeps succeeded rows out of the status indexes, and finds every status again', () => {
    const w = seedWebhook(store);
    seedEvents(store, 3, 2_000);
    const room = () => 10;
    const c = store.deliveries.claimDue({ owner: 'i', now: 2_000, leaseUntil: 32_000, limit: 10, room });
    assert.equal(c.length, 3);
    const fail = { ...OK, outcome: 'http_error' as const, statusCode: 500, error: 'HTTP 500' };
    store.deliveries.settle('i', [
      { seq: c[0]!.seq, attempt: 1, startedAt: 2_000, result: OK, status: 'succeeded', nextAttemptAt: null },
      { seq: c[1]!.seq, attempt: 1, startedAt: 2_000, result: fail, status: 'failed', nextAttemptAt: null },
    ], 2_100);
    const partial = (store.db.pragma('index_list(deliveries)') as { name: string; partial: number }[]).filter((i) => i.partial).map((i) => i.name).sort();
    assert.deepEqual(partial, ['deliveries_by_due', 'deliveries_by_replay', 'deliveries_by_status', 'deliveries_by_webhook_status']);
    const ids = (status: 'pending' | 'succeeded' | 'failed') => store.deliveries.history({ status, webhookId: w.id, limit: 10 }).map((d) => d.seq);
    assert.deepEqual(ids('succeeded'), [c[0]!.seq]);
    assert.deepEqual(ids('failed'), [c[1]!.seq]);
    assert.deepEqual(ids('pending'), [c[2]!.seq]);
  });
});

describe('the background checkpointer', () => {
  it('copies the WAL into the main file off the writing thread, and stops cleanly', async () => {
    const t = tempDb();
    const store = openStore(t.db);
    try {
      const errors: Error[] = [];
      const cp = await startCheckpointer(store.db, t.db, (e) => errors.push(e));
      assert.equal(store.db.pragma('wal_autocheckpoint', { simple: true }), 20_000, 'the writer only checkpoints as a fallback');
      const before = statSync(t.db).size;
      seedWebhook(store);
      seedEvents(store, 2_000, 1_000);
      // Far below the writer's fallback threshold: only the worker can have grown the main file.
      assert.ok(statSync(`${t.db}-wal`).size < 20_000 * 4096);
      await eventually(() => statSync(t.db).size > before + 100 * 4096, 5_000, 'the main file to receive the WAL');
      assert.equal(await cp.stop(), true, 'the worker made its last checkpoint and closed (not cut short)');
      assert.equal(store.db.pragma('wal_autocheckpoint', { simple: true }), 1_000);
      assert.deepEqual(errors, []);
    } finally {
      store.close();
      t.cleanup();
    }
  });

  it('is never a condition: when the worker cannot start, SQLite keeps checkpointing as it writes', async () => {
    const t = tempDb();
    const store = openStore(t.db);
    try {
      const errors: Error[] = [];
      const cp = await startCheckpointer(store.db, `${t.dir}/missing.db`, (e) => errors.push(e));
      assert.equal(errors.length, 1);
      assert.match(errors[0]!.message, /background checkpoints are off/);
      assert.equal(store.db.pragma('wal_autocheckpoint', { simple: true }), 1_000);
      await cp.stop();
    } finally {
      store.close();
      t.cleanup();
    }
  });
});
