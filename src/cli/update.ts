import type { Command } from 'commander';
import { getWebhook, hasChanges, updateWebhook, type WebhookInput } from '../app/webhooks.js';
import { UsageError } from '../domain/errors.js';
import { printSecretOnce } from './add.js';
import type { SessionFactory } from './main.js';
import { webhookView } from './views.js';
import { addWebhookFlags, flagsToInput, promptWebhook, type WebhookFlags } from './webhook-form.js';

export function registerUpdate(program: Command, session: SessionFactory): void {
  addWebhookFlags(program.command('update <id>'))
    .description('change fields of a webhook (interactive on a terminal when no flag is given)')
    .option('--rotate-secret', 'replace the signing secret with a new generated one (shown once)')
    .option('--enabled', 'enable it')
    .option('--disabled', 'disable it')
    .addHelpText('after', '\nExamples:\n  $ zwh update wh_3k9d… --url https://crm.example.com/hooks/v2\n  $ zwh update wh_3k9d… --events "*"\n  $ zwh update wh_3k9d…        # the interactive form, pre-filled')
    .action(async (id: string, flags: WebhookFlags & { rotateSecret?: boolean }, cmd: Command) => {
      const s = session(cmd);
      if (flags.enabled && flags.disabled) throw new UsageError('--enabled and --disabled contradict each other: give one');
      if (flags.secret !== undefined && flags.rotateSecret) throw new UsageError('--secret and --rotate-secret contradict each other: give one');
      let input: WebhookInput = { ...flagsToInput(flags), rotateSecret: flags.rotateSecret };
      if (!hasChanges(input)) {
        if (!s.interactive) throw new UsageError(`nothing to change for ${id}: give at least one flag (see: zwh update --help)`);
        const current = getWebhook(s.ctx(), id);
        input = await promptWebhook(await s.prompter(), {}, current);
      }
      const w = updateWebhook(s.ctx(), id, input);
      const newSecret = input.secret !== undefined || input.rotateSecret;
      if (s.json) return s.printJson(newSecret ? { ...webhookView(w), secret: w.secret } : webhookView(w));
      s.say(`${s.render.c.green('✓')} webhook ${w.id} updated`);
      if (newSecret) printSecretOnce(s, w.secret);
    });
}
