import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseEmitArgs, parseNdjson, recordEvents } from '../app/events.js';
import { UsageError, ValidationError } from '../domain/errors.js';
import { readAll } from './io.js';
import type { SessionFactory } from './main.js';
import type { Session } from './session.js';

async function readSource(s: Session, path: string, flag: string): Promise<string> {
  if (path === '-') return readAll(s.io.stdin);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ValidationError(`cannot read ${flag} ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}): check the path`);
  }
}

export function registerEmit(program: Command, session: SessionFactory): void {
  program
    .command('emit [type]')
    .description('record an event and queue one delivery per enabled subscriber')
    .option('--data <json>', 'the payload, a JSON object')
    .option('--data-file <path>', 'read the payload from a file, or - for stdin')
    .option('--id <event-id>', 'event id (re-emitting an existing id queues nothing)')
    .option('--ndjson <path>', 'bulk: one {"event","data","id"?,"timestamp"?} per line, from a file or - for stdin')
    .addHelpText(
      'after',
      `
Examples:
  $ zwh emit ticket.created --data '{"ticket_id":"T-1001","priority":"high"}'
  $ zwh emit user.updated --data-file user.json --id evt_user_42_v7
  $ zwh emit --ndjson events.ndjson`,
    )
    .action(async (type: string | undefined, opts: { data?: string; dataFile?: string; id?: string; ndjson?: string }, cmd: Command) => {
      const s = session(cmd);
      if (opts.ndjson !== undefined) {
        if (type !== undefined || opts.data !== undefined || opts.dataFile !== undefined || opts.id !== undefined)
          throw new UsageError('--ndjson takes the events from the file: give no type, --data, --data-file or --id with it');
        const inputs = parseNdjson(await readSource(s, opts.ndjson, '--ndjson'));
        const recorded = recordEvents(s.ctx(), inputs, (done) => s.progress(`recorded ${done}/${inputs.length} events`));
        s.progress(null);
        const deliveries = recorded.reduce((n, r) => n + r.deliveries, 0);
        const duplicates = recorded.filter((r) => r.duplicate).length;
        if (s.json) return s.printJson({ events: recorded.length, deliveries, duplicates });
        s.say(`recorded ${recorded.length - duplicates} events (${duplicates} already known), queued ${deliveries} deliveries`);
        return;
      }
      if (type === undefined) throw new UsageError('missing event type: zwh emit <type> --data JSON, or zwh emit --ndjson PATH (see: zwh events)');
      if (opts.data !== undefined && opts.dataFile !== undefined) throw new UsageError('give --data or --data-file, not both');
      const dataText = opts.dataFile !== undefined ? await readSource(s, opts.dataFile, '--data-file') : opts.data;
      const input = parseEmitArgs(type, dataText, opts.id);
      const [r] = recordEvents(s.ctx(), [input]);
      if (s.json) return s.printJson({ id: r!.id, event: r!.type, deliveries: r!.deliveries });
      if (r!.duplicate) s.say(`event ${r!.id} was already recorded: nothing new queued`);
      else s.say(`${r!.id} ${r!.type}: queued ${r!.deliveries} ${r!.deliveries === 1 ? 'delivery' : 'deliveries'}`);
    });
}
