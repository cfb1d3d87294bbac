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
      const { createSender, CANCELLED_ERROR } = await import('../dispatch/sender.js'); // undici: a large import only serve and test need
      const sender = createSender({ caFile: opts.caFile, connectionsPerOrigin: 1 });
      // Ctrl-C ends the send and records the test as failed, instead of leaving a leased delivery
      // that a serve would send once the lease ran out.
      const cancel = new AbortController();
      const off = s.io.onSignal(() => cancel.abort());
      try {
        const { deliveryId, result } = await testWebhook(ctx, sender, id, cancel.signal);
        if (result.error === CANCELLED_ERROR) {
          s.exitCode = 130;
          s.io.stderr.write(`cancelled; test delivery ${deliveryId} is recorded as failed\n`);
          return;
        }
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
        off();
        await sender.close();
      }
    });
}
