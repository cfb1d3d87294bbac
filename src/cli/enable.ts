import type { Command } from 'commander';
import { setWebhookEnabled } from '../app/webhooks.js';
import type { SessionFactory } from './main.js';
import { webhookView } from './views.js';

export function registerEnableDisable(program: Command, session: SessionFactory): void {
  for (const enabled of [true, false]) {
    const verb = enabled ? 'enable' : 'disable';
    program
      .command(`${verb} <id>`)
      .description(enabled ? 'resume deliveries to a webhook' : 'stop new deliveries to a webhook (pending ones wait until it is enabled)')
      .addHelpText('after', `\nExample:\n  $ zwh ${verb} wh_3k9d…`)
      .action((id: string, _opts: unknown, cmd: Command) => {
        const s = session(cmd);
        const w = setWebhookEnabled(s.ctx(), id, enabled);
        if (s.json) return s.printJson(webhookView(w));
        s.say(`${s.render.c.green('✓')} webhook ${w.id} ${enabled ? 'enabled' : 'disabled'}`);
      });
  }
}
