import type { Command } from 'commander';
import { addWebhook, type WebhookInput } from '../app/webhooks.js';
import { UsageError } from '../domain/errors.js';
import { validateAuthType, validateEvents, validateName, validateSecret, validateUrl } from '../domain/validate.js';
import type { SessionFactory } from './main.js';
import type { Session } from './session.js';
import { addedWebhookView } from './views.js';
import { addWebhookFlags, flagsToInput, promptWebhook, type WebhookFlags } from './webhook-form.js';

/** Flags that `add` cannot do without, in the order the form asks for them. */
function missingFlags(input: WebhookInput): string[] {
  const missing: string[] = [];
  if (input.name === undefined) missing.push('--name');
  if (input.url === undefined) missing.push('--url');
  if (input.auth === undefined) missing.push('--auth');
  if (input.auth === 'basic' && input.username === undefined) missing.push('--username');
  if (input.auth === 'basic' && input.password === undefined) missing.push('--password');
  if (input.auth === 'bearer' && input.token === undefined) missing.push('--token');
  if (input.events === undefined) missing.push('--events');
  return missing;
}

/** A value that was given but is wrong is the first thing to say, before what is missing. */
function checkGiven(input: WebhookInput): void {
  if (input.name !== undefined) validateName(input.name);
  if (input.url !== undefined) validateUrl(input.url);
  if (input.auth !== undefined) validateAuthType(input.auth);
  if (input.events !== undefined) validateEvents(input.events);
  if (input.secret !== undefined) validateSecret(input.secret);
}

export function printSecretOnce(s: Session, secret: string): void {
  const { c } = s.render;
  s.say(`签名密钥 signing secret (shown once; keep it safe): ${c.bold(secret)}`);
  s.say(
    c.dim('Receivers verify each request: hex HMAC-SHA256(secret, raw body) must equal X-Zwh-Signature after "sha256=". See README: receiving webhooks.'),
  );
}

export function registerAdd(program: Command, session: SessionFactory): void {
  addWebhookFlags(program.command('add'))
    .description('set up a subscriber endpoint (interactive on a terminal, or fully by flags)')
    .option('--disabled', 'create it disabled')
    .addHelpText(
      'after',
      `
Examples:
  $ zwh add                      # the interactive form
  $ zwh add --name 工单通知 --url https://crm.example.com/hooks/zwh \\
      --auth bearer --token "$CRM_TOKEN" --events ticket.created,ticket.closed`,
    )
    .action(async (flags: WebhookFlags, cmd: Command) => {
      const s = session(cmd);
      let input = flagsToInput(flags);
      checkGiven(input);
      const missing = missingFlags(input);
      if (missing.length > 0) {
        if (!s.interactive)
          throw new UsageError(`missing ${missing.join(', ')}: give them as flags, or run zwh add on a terminal (see: zwh add --help)`);
        input = await promptWebhook(await s.prompter(), input);
      }
      const webhook = addWebhook(s.ctx(), input);
      if (s.json) return s.printJson(addedWebhookView(webhook));
      s.say(`${s.render.c.green('✓')} webhook ${s.render.c.bold(webhook.id)} added: ${webhook.name} → ${webhook.url}`);
      printSecretOnce(s, webhook.secret);
    });
}
