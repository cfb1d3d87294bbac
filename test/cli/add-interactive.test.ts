import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { CancelledError } from '../../src/domain/errors.js';
import type { Prompter } from '../../src/cli/prompts.js';
import { json, runCli } from '../helpers/cli.js';
import { BIN, tempDb } from '../helpers/paths.js';

/**
 * A prompter that answers by message and records what it was asked. Like inquirer, it runs the
 * prompt's validator and, when an answer is refused, records the message and takes the next
 * answer given for that prompt (answers given as `{ tries: [...] }`).
 */
function scripted(answers: [RegExp, unknown][]): Prompter & { asked: string[]; refused: string[] } {
  const asked: string[] = [];
  const refused: string[] = [];
  const answer = (message: string, validate?: (v: any) => true | string) => {
    asked.push(message);
    const found = answers.find(([re]) => re.test(message));
    if (!found) throw new Error(`unexpected prompt: ${message}`);
    const tries = (found[1] as { tries?: unknown[] })?.tries ?? [found[1]];
    for (const value of tries) {
      if (value instanceof Error) return Promise.reject(value);
      const ok = validate ? validate(value) : true;
      if (ok === true) return Promise.resolve(value as any);
      refused.push(ok);
    }
    throw new Error(`every answer for ${message} was refused: ${refused.join('; ')}`);
  };
  return {
    asked,
    refused,
    input: (p) => answer(p.message, p.validate),
    password: (p) => answer(p.message, p.validate),
    select: (p) => answer(p.message),
    checkbox: (p) => answer(p.message, p.validate),
    confirm: (p) => answer(p.message),
  };
}

const comparable = (w: any) => ({ name: w.name, url: w.url, auth: w.auth, events: w.events, enabled: w.enabled });

describe('interactive zwh add', () => {
  const t = tempDb();
  after(t.cleanup);

  it('asks only for what the flags did not give, and stores the same webhook as the flags would', async () => {
    const p = scripted([
      [/URL/, 'https://crm.example.com/hooks/zwh'],
      [/Authentication/, 'bearer'],
      [/Token/, 'tok-abc'],
      [/Events/, ['ticket.created', 'ticket.closed']],
      [/Signing secret/, 'generate'],
    ]);
    const r = await runCli(t.db, ['--json', 'add', '--name', '工单通知'], { tty: true, prompter: p });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!p.asked.some((m) => /Name/.test(m)), 'the name came from the flag');
    const viaFlags = json(await runCli(t.db, ['--json', 'add', '--name', '工单通知', '--url', 'https://crm.example.com/hooks/zwh', '--auth', 'bearer', '--token', 'tok-abc', '--events', 'ticket.created,ticket.closed']));
    assert.deepEqual(comparable(json(r)), comparable(viaFlags));
    assert.match(json(r).secret, /^whsec_/);
  });

  it('turns every event chosen into *', async () => {
    const all = ['conversation.created', 'conversation.closed', 'message.received', 'ticket.created', 'ticket.updated', 'ticket.resolved', 'ticket.closed', 'user.created', 'user.updated'];
    const p = scripted([[/Name/, 'all'], [/URL/, 'https://a.example.com/'], [/Authentication/, 'none'], [/Events/, all], [/Signing secret/, 'generate']]);
    const r = await runCli(t.db, ['--json', 'add'], { tty: true, prompter: p });
    assert.deepEqual(json(r).events, ['*']);
  });

  it('refuses an http URL and an over-long name while typing, then takes the corrected answers', async () => {
    const p = scripted([
      [/Name/, { tries: ['x'.repeat(101), 'fixed'] }],
      [/URL/, { tries: ['http://a.example.com/', 'https://a.example.com/'] }],
      [/Authentication/, 'none'],
      [/Events/, { tries: [[], ['user.created']] }],
      [/Signing secret/, 'generate'],
    ]);
    const r = await runCli(t.db, ['--json', 'add'], { tty: true, prompter: p });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(p.refused.length, 3);
    assert.match(p.refused[0]!, /101 characters/);
    assert.match(p.refused[1]!, /plain http is never sent/);
    assert.match(p.refused[2]!, /at least one event/);
    assert.equal(json(r).url, 'https://a.example.com/');
  });

  it('writes nothing and exits 130 when cancelled at a prompt', async () => {
    const before = json(await runCli(t.db, ['--json', 'list'])).length;
    const p = scripted([[/Name/, 'x'], [/URL/, new CancelledError()]]);
    const r = await runCli(t.db, ['add'], { tty: true, prompter: p });
    assert.equal(r.code, 130);
    assert.match(r.stderr, /cancelled; nothing was written/);
    assert.equal(json(await runCli(t.db, ['--json', 'list'])).length, before);
  });
});

describe('interactive zwh update', () => {
  const t = tempDb();
  after(t.cleanup);
  const add = async () =>
    json(await runCli(t.db, ['--json', 'add', '--name', 'crm', '--url', 'https://crm.example.com/a', '--auth', 'basic', '--username', 'u1', '--password', 'pw-1', '--events', 'ticket.created']));
  const reveal = async (id: string) => json(await runCli(t.db, ['--json', 'show', '--reveal', id]));

  it('offers every field, keeps the stored password and secret on an empty answer and "keep"', async () => {
    const w = await add();
    const p = scripted([
      [/Name/, 'crm'],
      [/URL/, 'https://crm.example.com/b'],
      [/Authentication/, 'basic'],
      [/Username/, 'u2'],
      [/Password/, ''],
      [/Events/, ['ticket.created', 'user.created']],
      [/Signing secret/, 'keep'],
    ]);
    const r = await runCli(t.db, ['update', w.id], { tty: true, prompter: p });
    assert.equal(r.code, 0, r.stderr);
    assert.match(p.asked.find((m) => /Password/.test(m))!, /empty: keep the current one/);
    assert.doesNotMatch(r.stdout, /whsec_/, 'a kept secret is not printed again');
    const after = await reveal(w.id);
    assert.equal(after.url, 'https://crm.example.com/b');
    assert.equal(after.username, 'u2');
    assert.equal(after.password, 'pw-1');
    assert.deepEqual(after.events, ['ticket.created', 'user.created']);
    assert.equal(after.secret, w.secret);
  });

  it('asks for a new credential when the method changes, and rotates the secret on "generate"', async () => {
    const w = await add();
    const p = scripted([
      [/Name/, 'crm'],
      [/URL/, 'https://crm.example.com/a'],
      [/Authentication/, 'bearer'],
      [/Token/, { tries: ['', 'tok-2'] }],
      [/Events/, ['ticket.created']],
      [/Signing secret/, 'generate'],
    ]);
    const r = await runCli(t.db, ['update', w.id], { tty: true, prompter: p });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(p.refused, ['token is required']);
    const after = await reveal(w.id);
    assert.equal(after.auth, 'bearer');
    assert.equal(after.token, 'tok-2');
    assert.notEqual(after.secret, w.secret);
    assert.ok(r.stdout.includes(after.secret), 'the new secret is shown once');
  });

  it('writes nothing and exits 130 when cancelled', async () => {
    const w = await add();
    const p = scripted([[/Name/, 'renamed'], [/URL/, new CancelledError()]]);
    const r = await runCli(t.db, ['update', w.id], { tty: true, prompter: p });
    assert.equal(r.code, 130);
    assert.match(r.stderr, /cancelled; nothing was written/);
    const after = await reveal(w.id);
    assert.equal(after.name, 'crm');
    assert.equal(after.updated_at, w.updated_at);
  });
});

/** Drives the real binary's inquirer prompts through a pseudo-terminal made by script(1). */
function pty(db: string) {
  const child = spawn('script', ['-qfec', `${process.execPath} ${BIN} --db ${db} add`, '/dev/null'], {
    env: { ...process.env, TERM: 'xterm', COLUMNS: '120', LINES: '40' },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return {
    output: () => out,
    send: (keys: string) => child.stdin.write(keys),
    async expect(re: RegExp, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!re.test(out)) {
        if (Date.now() > deadline) throw new Error(`no ${re} on the terminal:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    exited: (timeoutMs = 10_000) =>
      Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still running')), timeoutMs).unref())]),
    kill: () => child.kill('SIGKILL'),
  };
}

describe('interactive zwh add on a real terminal', () => {
  const t = tempDb();
  after(t.cleanup);
  const DOWN = '\x1b[B';

  it('walks the console form and stores the webhook the flags would make', async () => {
    const term = pty(t.db);
    try {
      await term.expect(/Name/);
      term.send('工单通知\r');
      await term.expect(/URL/);
      term.send('http://crm.example.com/h\r');
      await term.expect(/plain http is never sent/);
      term.send('\x7f'.repeat(30) + 'https://crm.example.com/hooks/zwh\r');
      await term.expect(/Authentication/);
      term.send(`${DOWN}\r`); // Basic → Bearer
      await term.expect(/Token/);
      term.send('tok-abc\r');
      await term.expect(/Events/);
      term.send(`${DOWN.repeat(3)} ${DOWN.repeat(3)} \r`); // ticket.created, ticket.closed
      await term.expect(/Signing secret/);
      term.send('\r');
      await term.expect(/shown once/);
      assert.equal(await term.exited(), 0);
      assert.ok(!term.output().includes('tok-abc'), 'the token is masked while typing');
      assert.match(term.output(), /X-Zwh-Signature/);
    } finally {
      term.kill();
    }
    const [stored] = json(await runCli(t.db, ['--json', 'list']));
    const viaFlags = json(await runCli(t.db, ['--json', 'add', '--name', '工单通知', '--url', 'https://crm.example.com/hooks/zwh', '--auth', 'bearer', '--token', 'tok-abc', '--events', 'ticket.created,ticket.closed']));
    assert.deepEqual(comparable(stored), comparable(viaFlags));
    const revealed = json(await runCli(t.db, ['--json', 'show', stored.id, '--reveal']));
    assert.equal(revealed.token, 'tok-abc');
  });

  it('writes nothing and exits 130 on Ctrl-C', async () => {
    const t2 = tempDb();
    const term = pty(t2.db);
    try {
      await term.expect(/Name/);
      term.send('half typed');
      term.send('\x03');
      assert.equal(await term.exited(), 130);
      assert.match(term.output(), /cancelled; nothing was written/);
    } finally {
      term.kill();
    }
    assert.deepEqual(json(await runCli(t2.db, ['--json', 'list'])), []);
    t2.cleanup();
  });
});
