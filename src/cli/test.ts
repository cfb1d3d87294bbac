import type { Command } from 'commander';
import { testWebhook } from '../app/deliveries.js';
import type { SessionFactory } from './main.js';
import { oneLine } from './render.js';

export function registerTest(program: Command, session: SessionFactory): void {
  program
    .command('test <id>')
    .description('send a webhook.test event now and show what the receiver answered (exit 1 unless 2xx)')
    .option('--ca-file <path>', 'extra CA certificate (PEM) to trust for the receiver')
    .addHelpText('after', '\nExamples:\n  $ zwh test wh_3k9d…\n  $ zwh test wh_3k9d… --json')
    .action(async (id: string, opts: { caFile?: string }, cmd: Command) => {
      const s = session(cmd);
      const ctx = s.ctx();
      const { createSender } = await import('../dispatch/sender.js'); // undici: a large import only serve and test need
      const sender = createSender({ caFile: opts.caFile, connectionsPerOrigin: 1 });
      try {
        const { deliveryId, result } = await testWebhook(ctx, sender, id);
        const ok = result.outcome === 'ok';
        s.exitCode = ok ? 0 : 1;
        const ms = Math.round(result.durationMs);
        if (s.json)
          return s.printJson({ ok, delivery_id: deliveryId, status_code: result.statusCode, duration_ms: ms, error: result.error });
        const { c } = s.render;
        if (ok) s.say(`${c.green('✓')} ${result.statusCode} in ${ms} ms  (delivery ${deliveryId})`);
        else s.say(`${c.red('✗')} ${result.error} after ${ms} ms  (delivery ${deliveryId})`);
        if (result.responseExcerpt) s.say(`  response: ${oneLine(result.responseExcerpt, 200)}`);
      } finally {
        await sender.close();
      }
    });
}
