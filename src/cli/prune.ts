import type { Command } from 'commander';
import { pruneHistory } from '../app/prune.js';
import { parseDuration } from '../domain/durations.js';
import { UsageError } from '../domain/errors.js';
import type { SessionFactory } from './main.js';

export function registerPrune(program: Command, session: SessionFactory): void {
  program
    .command('prune')
    .description('remove finished delivery history older than a cut (never pending work)')
    .option('--older-than <duration>', 'e.g. 30d, 12h')
    .option('--dry-run', 'count what would be removed; remove nothing')
    .addHelpText('after', '\nExamples:\n  $ zwh prune --older-than 30d --dry-run\n  $ zwh prune --older-than 30d')
    .action((opts: { olderThan?: string; dryRun?: boolean }, cmd: Command) => {
      const s = session(cmd);
      if (opts.olderThan === undefined) throw new UsageError('missing --older-than, e.g. zwh prune --older-than 30d');
      const age = parseDuration(opts.olderThan, '--older-than');
      const cut = s.clock() - age;
      const r = pruneHistory(s.ctx(), cut, !!opts.dryRun);
      if (s.json) return s.printJson({ dry_run: !!opts.dryRun, deliveries: r.deliveries, events: r.events, cut: new Date(cut).toISOString() });
      s.say(
        opts.dryRun
          ? `would remove ${r.deliveries} finished deliveries older than ${opts.olderThan} (nothing removed)`
          : `removed ${r.deliveries} finished deliveries and ${r.events} events older than ${opts.olderThan}`,
      );
    });
}
