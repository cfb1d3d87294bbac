import type { Command } from 'commander';
import { executeReplay, planReplayByIds, planReplayFailed } from '../app/deliveries.js';
import { aliveServes } from '../app/status.js';
import { TEST_EVENT_TYPE } from '../domain/catalog.js';
import { parseSince } from '../domain/durations.js';
import { UsageError } from '../domain/errors.js';
import { validateEventType } from '../domain/validate.js';
import type { SessionFactory } from './main.js';

interface ReplayOptions {
  failed?: boolean;
  webhook?: string;
  event?: string;
  since?: string;
  dryRun?: boolean;
  force?: boolean;
}

export function registerReplay(program: Command, session: SessionFactory): void {
  program
    .command('replay [delivery-ids...]')
    .description('queue failed deliveries again: new deliveries linked to the originals, same event id and body')
    .option('--failed', 'every failed delivery not replayed yet (narrow with --webhook, --event, --since)')
    .option('--webhook <id>', 'with --failed: only deliveries to this webhook')
    .option('--event <type>', 'with --failed: only this event type')
    .option('--since <when>', 'with --failed: created within a duration (1h, 2d) or since a date')
    .option('--dry-run', 'show what would be queued; queue nothing')
    .option('--force', 'also replay named deliveries that are pending or succeeded')
    .addHelpText('after', '\nExamples:\n  $ zwh replay dlv_0mhx… dlv_0mhy…\n  $ zwh replay --failed --webhook wh_3k9d… --since 2h --dry-run\n  $ zwh replay --failed --since 1d')
    .action((ids: string[], opts: ReplayOptions, cmd: Command) => {
      const s = session(cmd);
      if (ids.length > 0 && opts.failed) throw new UsageError('give delivery ids or --failed, not both');
      if (ids.length === 0 && !opts.failed) throw new UsageError('name the deliveries to replay, or use --failed (see: zwh replay --help)');
      if (ids.length > 0 && (opts.webhook || opts.event || opts.since))
        throw new UsageError('--webhook, --event and --since go with --failed');
      if (opts.failed && opts.force) throw new UsageError('--force goes with named deliveries, not --failed');
      const ctx = s.ctx();
      const plan = opts.failed
        ? planReplayFailed(ctx, {
            webhookId: opts.webhook,
            eventType: opts.event === undefined || opts.event === TEST_EVENT_TYPE ? opts.event : validateEventType(opts.event),
            since: opts.since === undefined ? undefined : parseSince(opts.since, s.clock()),
          })
        : planReplayByIds(ctx, ids, !!opts.force);
      if (plan.skippedRemoved > 0) s.warn(`skipped ${plan.skippedRemoved} failed deliveries whose webhook was removed`);
      if (opts.dryRun) {
        if (s.json) return s.printJson({ queued: 0, deliveries: [], dry_run: true, would_replay: plan.originals.map((d) => d.id) });
        s.say(`would replay ${plan.originals.length} deliveries (dry run: nothing queued)`);
        for (const d of plan.originals.slice(0, 20)) s.say(`  ${d.id}  ${d.event_type} → ${d.webhook_id}  (${d.last_error ?? d.status})`);
        if (plan.originals.length > 20) s.say(`  … and ${plan.originals.length - 20} more`);
        return;
      }
      const queued = executeReplay(ctx, plan, (done, total) => s.progress(`queued ${done}/${total}`));
      s.progress(null);
      if (s.json) s.printJson({ queued: queued.length, deliveries: queued });
      else {
        s.say(`queued ${queued.length} ${queued.length === 1 ? 'delivery' : 'deliveries'}`);
        for (const id of queued.slice(0, 20)) s.say(`  ${id}`);
        if (queued.length > 20) s.say(`  … and ${queued.length - 20} more (zwh logs --status pending)`);
      }
      if (queued.length > 0 && aliveServes(ctx).length === 0)
        s.warn('warning: no serve is running: the replays wait until one starts (zwh serve)');
    });
}
