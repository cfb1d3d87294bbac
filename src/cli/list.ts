import type { Command } from 'commander';
import { listWebhooks } from '../app/webhooks.js';
import type { SessionFactory } from './main.js';
import { truncate } from './render.js';
import { webhookView } from './views.js';

export function registerList(program: Command, session: SessionFactory): void {
  program
    .command('list')
    .description('table of webhooks: id, name, url, auth, events, enabled, last delivery status')
    .addHelpText('after', '\nExamples:\n  $ zwh list\n  $ zwh list --json | jq \'.[].id\'')
    .action((_opts: unknown, cmd: Command) => {
      const s = session(cmd);
      const webhooks = listWebhooks(s.ctx());
      if (s.json) return s.printJson(webhooks.map((w) => ({ ...webhookView(w), last_delivery_status: w.lastDeliveryStatus })));
      if (webhooks.length === 0) return s.say('no webhooks yet (see: zwh add)');
      const { c } = s.render;
      s.say(
        s.render.table(
          ['id', 'name', 'url', 'auth', 'events', 'enabled', 'last'],
          webhooks.map((w) => [
            w.id,
            truncate(w.name, 24),
            truncate(w.url, 40),
            w.auth.type,
            truncate(w.events.join(','), 30),
            w.enabled ? c.green('yes') : c.yellow('no'),
            w.lastDeliveryStatus ? s.render.status(w.lastDeliveryStatus) : c.dim('—'),
          ]),
        ),
      );
    });
}
