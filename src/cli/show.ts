import type { Command } from 'commander';
import { getWebhook } from '../app/webhooks.js';
import type { Webhook } from '../domain/types.js';
import type { SessionFactory } from './main.js';
import type { Session } from './session.js';
import { iso } from './render.js';
import { webhookView } from './views.js';

const MASK = '••••••••';

export function printWebhook(s: Session, w: Webhook, reveal: boolean): void {
  const { c } = s.render;
  const auth =
    w.auth.type === 'basic'
      ? `basic (user ${w.auth.username}, password ${reveal ? w.auth.password : MASK})`
      : w.auth.type === 'bearer'
        ? `bearer (token ${reveal ? w.auth.token : MASK})`
        : 'none';
  const rows: [string, string][] = [
    ['id', w.id],
    ['name', w.name],
    ['url', w.url],
    ['auth', auth],
    ['events', w.events.join(', ')],
    ['enabled', w.enabled ? c.green('yes') : c.yellow('no')],
    ['secret', reveal ? w.secret : `${MASK} (zwh show ${w.id} --reveal)`],
    ['created', iso(w.createdAt)],
    ['updated', iso(w.updatedAt)],
  ];
  for (const [k, v] of rows) s.say(`${c.dim(k.padEnd(8))} ${v}`);
}

export function registerShow(program: Command, session: SessionFactory): void {
  program
    .command('show <id>')
    .description('one webhook; credentials and secret masked unless --reveal')
    .option('--reveal', 'show the signing secret and credentials')
    .addHelpText('after', '\nExamples:\n  $ zwh show wh_3k9d…\n  $ zwh show wh_3k9d… --reveal --json | jq -r .secret')
    .action((id: string, opts: { reveal?: boolean }, cmd: Command) => {
      const s = session(cmd);
      const w = getWebhook(s.ctx(), id);
      if (s.json) {
        const view: Record<string, unknown> = webhookView(w);
        if (opts.reveal) {
          view.secret = w.secret;
          if (w.auth.type === 'basic') Object.assign(view, { username: w.auth.username, password: w.auth.password });
          if (w.auth.type === 'bearer') view.token = w.auth.token;
        }
        return s.printJson(view);
      }
      printWebhook(s, w, !!opts.reveal);
    });
}
