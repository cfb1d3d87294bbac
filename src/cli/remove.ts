import type { Command } from 'commander';
import { getWebhook, removeWebhook } from '../app/webhooks.js';
import { CancelledError, UsageError } from '../domain/errors.js';
import type { SessionFactory } from './main.js';
import { webhookView } from './views.js';

export function registerRemove(program: Command, session: SessionFactory): void {
  program
    .command('remove <id>')
    .description('delete a webhook definition; its delivery history stays readable')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExamples:\n  $ zwh remove wh_3k9d…\n  $ zwh remove wh_3k9d… --yes')
    .action(async (id: string, opts: { yes?: boolean }, cmd: Command) => {
      const s = session(cmd);
      const w = getWebhook(s.ctx(), id);
      if (!opts.yes) {
        if (!s.interactive) throw new UsageError(`not removing ${id} without confirmation: add --yes`);
        const ok = await (await s.prompter()).confirm({ message: `Remove webhook ${w.id} (${w.name} → ${w.url})?`, default: false });
        if (!ok) throw new CancelledError(`kept webhook ${w.id}; nothing was changed`);
      }
      const r = removeWebhook(s.ctx(), id);
      if (s.json) return s.printJson({ ...webhookView(w), removed: true, failed_pending: r.failedPending });
      s.say(`${s.render.c.green('✓')} webhook ${w.id} removed; its history stays in zwh logs --webhook ${w.id}`);
      if (r.failedPending > 0) s.say(`${r.failedPending} pending deliveries to it were marked failed`);
    });
}
