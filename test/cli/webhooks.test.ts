import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { json, runCli } from '../helpers/cli.js';
import { BIN, tempDb } from '../helpers/paths.js';

const BEARER = ['--name', '工单通知', '--url', 'https://crm.example.com/hooks/zwh', '--auth', 'bearer', '--token', 'tok-SECRET-123', '--events', 'ticket.created,ticket.closed'];
const BASIC = ['--name', 'CRM', '--url', 'https://crm.example.com/basic', '--auth', 'basic', '--username', 'crm', '--password', 'pw-SECRET-456', '--events', '*'];

function countRows(db: string, table: string): number {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    d.close();
  }
}

describe('webhook management through the CLI entry', () => {
  const t = tempDb();
  after(t.cleanup);

  it('adds a webhook by flags and prints the --json shape with the secret once', async () => {
    const r = await runCli(t.db, ['--json', 'add', ...BEARER]);
    assert.equal(r.code, 0, r.stderr);
    const w = json(r);
    assert.match(w.id, /^wh_[0-9a-z]{16}$/);
    assert.deepEqual(Object.keys(w).sort(), ['auth', 'created_at', 'enabled', 'events', 'id', 'name', 'secret', 'updated_at', 'url']);
    assert.equal(w.name, '工单通知');
    assert.equal(w.auth, 'bearer');
    assert.deepEqual(w.events, ['ticket.created', 'ticket.closed']);
    assert.equal(w.enabled, true);
    assert.match(w.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(w.secret.slice(6), 'base64').length, 32);
  });

  it('lists webhooks without secrets, and shows one masked unless --reveal', async () => {
    const added = json(await runCli(t.db, ['--json', 'add', ...BASIC]));
    const list = json(await runCli(t.db, ['--json', 'list']));
    assert.ok(list.length >= 1);
    for (const w of list) assert.equal(w.secret, undefined);
    const listText = (await runCli(t.db, ['list'])).stdout;
    assert.match(listText, /CRM/);
    assert.ok(!listText.includes('pw-SECRET-456') && !listText.includes(added.secret));

    const shown = await runCli(t.db, ['show', added.id]);
    assert.equal(shown.code, 0);
    assert.ok(!shown.stdout.includes('pw-SECRET-456'), 'password masked');
    assert.ok(!shown.stdout.includes(added.secret), 'secret masked');
    assert.match(shown.stdout, /--reveal/);
    const revealed = json(await runCli(t.db, ['--json', 'show', added.id, '--reveal']));
    assert.equal(revealed.secret, added.secret);
    assert.equal(revealed.password, 'pw-SECRET-456');
    const plain = json(await runCli(t.db, ['--json', 'show', added.id]));
    assert.equal(plain.secret, undefined);
    assert.equal(plain.password, undefined);
  });

  it('updates fields, keeping credentials that were not given', async () => {
    const added = json(await runCli(t.db, ['--json', 'add', ...BASIC]));
    const r = await runCli(t.db, ['--json', 'update', added.id, '--url', 'https://crm.example.com/v2', '--events', 'user.created']);
    assert.equal(r.code, 0, r.stderr);
    const w = json(r);
    assert.equal(w.url, 'https://crm.example.com/v2');
    assert.deepEqual(w.events, ['user.created']);
    assert.equal(w.secret, undefined, 'update does not print the secret unless it changed');
    const revealed = json(await runCli(t.db, ['--json', 'show', added.id, '--reveal']));
    assert.equal(revealed.password, 'pw-SECRET-456');
    assert.equal(revealed.secret, added.secret);
    const rotated = json(await runCli(t.db, ['--json', 'update', added.id, '--rotate-secret']));
    assert.match(rotated.secret, /^whsec_/);
    assert.notEqual(rotated.secret, added.secret);
  });

  it('enables and disables; a disabled webhook gets no new deliveries', async () => {
    const w = json(await runCli(t.db, ['--json', 'add', '--name', 'only-users', '--url', 'https://u.example.com/', '--auth', 'none', '--events', 'user.updated']));
    const deliveriesTo = async () => json(await runCli(t.db, ['--json', 'logs', '--webhook', w.id])).length;
    assert.equal(json(await runCli(t.db, ['--json', 'disable', w.id])).enabled, false);
    await runCli(t.db, ['emit', 'user.updated', '--data', '{"user_id":"u1"}']);
    assert.equal(await deliveriesTo(), 0);
    assert.equal(json(await runCli(t.db, ['--json', 'enable', w.id])).enabled, true);
    await runCli(t.db, ['emit', 'user.updated', '--data', '{"user_id":"u1"}']);
    assert.equal(await deliveriesTo(), 1);
  });

  it('removes a webhook with --yes and keeps its history readable', async () => {
    const w = json(await runCli(t.db, ['--json', 'add', '--name', 'gone', '--url', 'https://g.example.com/', '--auth', 'none', '--events', 'conversation.closed']));
    const e = json(await runCli(t.db, ['--json', 'emit', 'conversation.closed', '--data', '{"conversation_id":"c1"}']));
    assert.ok(e.deliveries >= 1);
    const r = await runCli(t.db, ['remove', w.id, '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await runCli(t.db, ['show', w.id])).code, 3);
    const history = json(await runCli(t.db, ['--json', 'logs', '--webhook', w.id]));
    assert.equal(history.length, 1);
    assert.equal(history[0].event_id, e.id);
    assert.equal(history[0].status, 'failed', 'its pending delivery is failed, not stranded');
    assert.match(history[0].last_error, /removed/);
  });

  it('refuses to remove without --yes when there is no terminal, and changes nothing', async () => {
    const w = json(await runCli(t.db, ['--json', 'add', ...BEARER]));
    const r = await runCli(t.db, ['remove', w.id]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--yes/);
    assert.equal((await runCli(t.db, ['show', w.id])).code, 0);
  });

  it('prints the event catalog', async () => {
    const r = json(await runCli(t.db, ['--json', 'events']));
    assert.deepEqual(
      r.map((e: { type: string }) => e.type),
      ['conversation.created', 'conversation.closed', 'message.received', 'ticket.created', 'ticket.updated', 'ticket.resolved', 'ticket.closed', 'user.created', 'user.updated'],
    );
    const text = (await runCli(t.db, ['events'])).stdout;
    assert.match(text, /工单事件/);
    assert.match(text, /webhook\.test/);
  });

  it('answers --help on every command with an example', async () => {
    for (const cmd of ['add', 'list', 'show', 'update', 'remove', 'enable', 'disable', 'events', 'emit', 'test', 'logs', 'replay', 'serve', 'stop', 'status', 'prune']) {
      const r = await runCli(t.db, [cmd, '--help']);
      assert.equal(r.code, 0, cmd);
      assert.match(r.stdout, /Example/, `${cmd} --help shows an example`);
      assert.match(r.stdout, /\$ zwh /, cmd);
    }
  });
});

describe('bad input: one line on stderr, the documented exit code, nothing written', () => {
  const t = tempDb();
  let existing: string;
  before(async () => {
    existing = json(await runCli(t.db, ['--json', 'add', ...BEARER])).id;
  });
  after(t.cleanup);

  const cases: [string, string[], number, RegExp][] = [
    ['an http URL', ['add', '--name', 'x', '--url', 'http://crm.example.com/h', '--auth', 'none', '--events', '*'], 2, /https/],
    ['a malformed URL', ['add', '--name', 'x', '--url', 'not a url', '--auth', 'none', '--events', '*'], 2, /not a valid URL/],
    ['a URL with credentials', ['add', '--name', 'x', '--url', 'https://u:p@crm.example.com/', '--auth', 'none', '--events', '*'], 2, /credentials/],
    ['an unknown event', ['add', '--name', 'x', '--url', 'https://a.example.com/', '--auth', 'none', '--events', 'ticket.nope'], 2, /unknown event type "ticket.nope".*ticket.created/],
    ['an empty event list', ['add', '--name', 'x', '--url', 'https://a.example.com/', '--auth', 'none', '--events', ','], 2, /event list is empty/],
    ['webhook.test as a subscription', ['add', '--name', 'x', '--url', 'https://a.example.com/', '--auth', 'none', '--events', 'webhook.test'], 2, /zwh test/],
    ['a missing flag without a terminal', ['add', '--name', 'x', '--url', 'https://a.example.com/'], 2, /missing --auth, --events/],
    ['a missing password', ['add', '--name', 'x', '--url', 'https://a.example.com/', '--auth', 'basic', '--username', 'u', '--events', '*'], 2, /missing --password/],
    ['an over-long name', ['add', '--name', 'x'.repeat(101), '--url', 'https://a.example.com/', '--auth', 'none', '--events', '*'], 2, /101 characters.*100/],
    ['an unknown auth method', ['add', '--name', 'x', '--url', 'https://a.example.com/', '--auth', 'digest', '--events', '*'], 2, /digest/],
    ['a short secret', ['add', '--name', 'x', '--url', 'https://a.example.com/', '--auth', 'none', '--events', '*', '--secret', 'short'], 2, /too short/],
    ['an unknown option', ['add', '--nmae', 'x'], 2, /unknown option/],
    ['an unknown command', ['frobnicate'], 2, /unknown command/],
    ['an unknown id to show', ['show', 'wh_doesnotexist'], 3, /webhook wh_doesnotexist not found \(see: zwh list\)/],
    ['an unknown id to update', ['update', 'wh_doesnotexist', '--name', 'y'], 3, /not found/],
    ['an unknown id to remove', ['remove', 'wh_doesnotexist', '--yes'], 3, /not found/],
    ['an unknown id to enable', ['enable', 'wh_doesnotexist'], 3, /not found/],
    ['an unknown id to disable', ['disable', 'wh_doesnotexist'], 3, /not found/],
    ['an unknown delivery id', ['logs', 'dlv_doesnotexist'], 3, /delivery dlv_doesnotexist not found/],
    ['an http URL on update', ['update', '__EXISTING__', '--url', 'http://a.example.com/'], 2, /https/],
    ['an update with nothing to change', ['update', '__EXISTING__'], 2, /nothing to change/],
    ['an unknown event to emit', ['emit', 'ticket.nope'], 2, /unknown event type/],
    ['invalid JSON to emit', ['emit', 'ticket.created', '--data', '{nope'], 2, /not valid JSON/],
    ['a non-object payload', ['emit', 'ticket.created', '--data', '[1,2]'], 2, /JSON object/],
    ['a payload over 256 KiB', ['emit', 'ticket.created', '--data', JSON.stringify({ x: 'a'.repeat(256 * 1024) })], 2, /limit is 262144 bytes/],
  ];

  for (const [what, args, code, message] of cases) {
    it(`refuses ${what}`, async () => {
      const before = { webhooks: countRows(t.db, 'webhooks'), events: countRows(t.db, 'events'), updated: json(await runCli(t.db, ['--json', 'show', existing])).updated_at };
      const r = await runCli(t.db, args.map((a) => (a === '__EXISTING__' ? existing : a)));
      assert.equal(r.code, code, `exit code for ${what}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.equal(r.stdout, '', 'nothing on stdout');
      assert.equal(countRows(t.db, 'webhooks'), before.webhooks, 'no webhook written');
      assert.equal(countRows(t.db, 'events'), before.events, 'no event written');
      assert.equal(json(await runCli(t.db, ['--json', 'show', existing])).updated_at, before.updated, 'existing webhook unchanged');
    });
  }

  it('never shows a token, password or secret in list, show, logs, status or errors', async () => {
    const r = json(await runCli(t.db, ['--json', 'add', ...BASIC]));
    await runCli(t.db, ['emit', 'ticket.created', '--data', '{}']);
    const outputs = await Promise.all([
      runCli(t.db, ['list']), runCli(t.db, ['--json', 'list']), runCli(t.db, ['show', r.id]), runCli(t.db, ['--json', 'show', r.id]),
      runCli(t.db, ['logs']), runCli(t.db, ['--json', 'logs']), runCli(t.db, ['status']), runCli(t.db, ['--json', 'status']),
      runCli(t.db, ['update', r.id, '--auth', 'basic', '--username', 'a:b']),
    ]);
    for (const o of outputs) {
      for (const secret of ['pw-SECRET-456', 'tok-SECRET-123', r.secret]) {
        assert.ok(!o.stdout.includes(secret) && !o.stderr.includes(secret), `leaked ${secret.slice(0, 6)}…`);
      }
    }
  });
});

describe('the database file', () => {
  it('is created 0600 in a 0700 folder', async () => {
    const t = tempDb();
    try {
      const db = `${t.dir}/nested/deeper/zwh.db`;
      assert.equal((await runCli(db, ['list'])).code, 0);
      assert.equal(statSync(db).mode & 0o777, 0o600);
      assert.equal(statSync(`${t.dir}/nested/deeper`).mode & 0o777, 0o700);
    } finally {
      t.cleanup();
    }
  });

  it('uses ZWH_DB when --db is not given', async () => {
    const t = tempDb();
    try {
      const { run } = await import('../../src/cli/main.js');
      let out = '';
      const code = await run(['--json', 'list'], {
        io: {
          stdout: { write: (s: string) => (out += s) },
          stderr: { write: () => true },
          stdin: process.stdin,
          env: { ZWH_DB: t.db },
          onSignal: () => () => {},
          exitNow: () => { throw new Error('exit'); },
        },
      });
      assert.equal(code, 0);
      assert.deepEqual(JSON.parse(out), []);
      assert.equal(statSync(t.db).mode & 0o777, 0o600);
    } finally {
      t.cleanup();
    }
  });

  it('refuses a corrupt file with one line and leaves it untouched', async () => {
    const t = tempDb();
    try {
      const garbage = Buffer.alloc(8192, 7);
      writeFileSync(t.db, garbage);
      const r = await runCli(t.db, ['list']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unreadable or corrupt|not a zwh database/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.deepEqual(readFileSync(t.db), garbage);
    } finally {
      t.cleanup();
    }
  });

  it('refuses an SQLite file that is not a zwh database', async () => {
    const t = tempDb();
    try {
      const d = new Database(t.db);
      d.exec('CREATE TABLE other (x INTEGER)');
      d.close();
      const r = await runCli(t.db, ['list']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /is not a zwh database/);
    } finally {
      t.cleanup();
    }
  });

  it('refuses a database written by a newer zwh', async () => {
    const t = tempDb();
    try {
      assert.equal((await runCli(t.db, ['list'])).code, 0);
      const d = new Database(t.db);
      d.pragma('user_version = 999');
      d.close();
      const r = await runCli(t.db, ['list']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /newer zwh \(schema 999/);
    } finally {
      t.cleanup();
    }
  });
});

describe('a closed pipe on stdout (zwh list | head)', () => {
  it('ends quietly with exit 0, not an EPIPE stack trace', async () => {
    const t = tempDb();
    try {
      assert.equal((await runCli(t.db, ['add', '--name', 'a', '--url', 'https://a.example.com/', '--auth', 'none', '--events', '*'])).code, 0);
      // The reading end is closed before zwh writes: its first write fails with EPIPE.
      const child = spawn(process.execPath, [BIN, '--db', t.db, 'list'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((resolve, reject) => {
        child.on('exit', resolve);
        setTimeout(() => reject(new Error('still running after 10 s')), 10_000).unref();
      });
      assert.equal(code, 0, stderr);
      assert.equal(stderr, '');
    } finally {
      t.cleanup();
    }
  });
});
