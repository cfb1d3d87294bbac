import type { Command } from 'commander';
import { getDelivery, listDeliveries } from '../app/deliveries.js';
import { parseSince } from '../domain/durations.js';
import { UsageError, ValidationError } from '../domain/errors.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../domain/types.js';
import { validateEventType } from '../domain/validate.js';
import { TEST_EVENT_TYPE } from '../domain/catalog.js';
import type { DeliveryRow } from '../store/deliveries-repo.js';
import type { SessionFactory } from './main.js';
import { age, ago, fit, iso, oneLine } from './render.js';
import type { Session } from './session.js';
import { attemptView, deliveryView } from './views.js';

interface LogsOptions {
  failed?: boolean;
  status?: string;
  webhook?: string;
  event?: string;
  since?: string;
  limit?: string;
  follow?: boolean;
}

const FOLLOW_POLL_MS = 500;

function lastOutcome(d: { last_status_code: number | null; last_error: string | null }): string {
  if (d.last_status_code !== null) return String(d.last_status_code);
  return d.last_error ?? '';
}

/** The history table; 80 columns wide, with absolute times added on wider terminals. */
function printTable(s: Session, rows: DeliveryRow[], names: Map<string, string>): void {
  const now = s.clock();
  const wide = (s.io.stdout as { columns?: number }).columns ?? 80;
  const withAbsolute = wide >= 104;
  const { c } = s.render;
  const header = [fit('AGE', 5), withAbsolute ? fit('AT (UTC)', 23) : null, fit('DELIVERY', 23), fit('WEBHOOK', 10), fit('EVENT', 18), fit('STATUS', 9), fit('#', 1), 'LAST']
    .filter((x) => x !== null)
    .join(' ');
  s.say(c.bold(header));
  for (const d of rows) {
    const line = [
      fit(age(d.created_at, now), 5),
      withAbsolute ? fit(iso(d.created_at), 23) : null,
      fit(d.id, 23),
      fit(names.get(d.webhook_id) ?? d.webhook_id, 10),
      fit(d.event_type, 18),
      s.render.status(d.status) + ' '.repeat(Math.max(0, 9 - d.status.length)),
      fit(String(d.attempts), 1),
      oneLine(lastOutcome(d), 6),
    ]
      .filter((x) => x !== null)
      .join(' ');
    s.say(line);
  }
  if (rows.length > 0 && !withAbsolute)
    s.say(c.dim(`newest ${iso(rows[0]!.created_at)}, oldest ${iso(rows[rows.length - 1]!.created_at)} (zwh logs <delivery-id> for attempts)`));
}

function printDetail(s: Session, id: string): void {
  const detail = getDelivery(s.ctx(), id);
  const d = detail.delivery;
  if (s.json)
    return s.printJson({ ...deliveryView(d), attempts_detail: detail.attempts.map(attemptView), replays: detail.replays.map((r) => r.id) });
  const { c } = s.render;
  const names = s.ctx().store.webhooks.names();
  const now = s.clock();
  const rows: [string, string][] = [
    ['delivery', d.id],
    ['event', `${d.event_type}  ${d.event_id}`],
    ['webhook', `${d.webhook_id}  ${names.get(d.webhook_id) ?? ''}`],
    ['status', `${s.render.status(d.status)} after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}` +
      (d.status === 'pending' && d.next_attempt_at !== null ? ` (next ${ago(d.next_attempt_at, now)})` : '')],
    ['created', `${iso(d.created_at)} (${ago(d.created_at, now)})`],
  ];
  if (d.last_error) rows.push(['error', d.last_error]);
  if (detail.replayChain.length > 0) rows.push(['replay of', detail.replayChain.map((r) => `${r.id} (${r.status})`).reverse().join(' ← ')]);
  if (detail.replays.length > 0) rows.push(['replayed', detail.replays.map((r) => `${r.id} (${r.status})`).join(', ')]);
  for (const [k, v] of rows) s.say(`${c.dim(k.padEnd(9))} ${v}`);
  if (detail.attempts.length === 0) return s.say(c.dim('no attempts yet'));
  s.say('');
  for (const a of detail.attempts) {
    const what = a.status_code !== null ? `HTTP ${a.status_code}` : (a.error ?? a.outcome);
    const mark = a.outcome === 'ok' ? c.green('✓') : c.red('✗');
    s.say(`${mark} attempt ${a.attempt}  ${iso(a.started_at)}  ${what}  ${a.duration_ms} ms`);
    if (a.response_excerpt) s.say(`    ${c.dim(oneLine(a.response_excerpt, 200))}`);
  }
}

async function follow(s: Session, filter: { status?: DeliveryStatus; webhookId?: string; eventType?: string }): Promise<void> {
  const ctx = s.ctx();
  let after = ctx.store.deliveries.maxAttemptId();
  const names = ctx.store.webhooks.names();
  const { c } = s.render;
  let stopped = false;
  let wake: (() => void) | undefined;
  const off = s.io.onSignal(() => {
    stopped = true;
    wake?.();
  });
  try {
    s.warn(c.dim('following new attempts; Ctrl-C to stop'));
    while (!stopped) {
      for (const a of ctx.store.deliveries.attemptsAfter(after, 1000)) {
        after = a.id;
        if (filter.webhookId && a.webhook_id !== filter.webhookId) continue;
        if (filter.eventType && a.event_type !== filter.eventType) continue;
        if (filter.status && a.delivery_status !== filter.status) continue;
        if (s.json) {
          s.io.stdout.write(JSON.stringify({ delivery_id: a.delivery_id, event: a.event_type, webhook_id: a.webhook_id, status: a.delivery_status, ...attemptView(a) }) + '\n');
          continue;
        }
        const what = a.status_code !== null ? `HTTP ${a.status_code}` : (a.error ?? a.outcome);
        s.say(`${iso(a.started_at)} ${a.outcome === 'ok' ? c.green('✓') : c.red('✗')} ${a.delivery_id} ${names.get(a.webhook_id) ?? a.webhook_id} ${a.event_type} attempt ${a.attempt} ${what} ${a.duration_ms} ms → ${s.render.status(a.delivery_status)}`);
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, FOLLOW_POLL_MS);
      });
    }
  } finally {
    off();
  }
}

export function registerLogs(program: Command, session: SessionFactory): void {
  program
    .command('logs [delivery-id]')
    .description('delivery history, newest first; or one delivery with every attempt')
    .option('--failed', 'only failed deliveries (same as --status failed)')
    .option('--status <status>', 'pending, succeeded or failed')
    .option('--webhook <id>', 'only deliveries to this webhook')
    .option('--event <type>', 'only this event type')
    .option('--since <when>', 'a duration back from now (1h, 2d) or a date (2024-01-01)')
    .option('--limit <n>', 'at most this many rows', '50')
    .option('-f, --follow', 'stream new attempts until Ctrl-C')
    .addHelpText('after', '\nExamples:\n  $ zwh logs --failed --since 1h\n  $ zwh logs --webhook wh_3k9d… --event ticket.created --limit 20\n  $ zwh logs dlv_0mhx…\n  $ zwh logs --follow')
    .action(async (id: string | undefined, opts: LogsOptions, cmd: Command) => {
      const s = session(cmd);
      if (id !== undefined) return printDetail(s, id);
      if (opts.failed && opts.status && opts.status !== 'failed') throw new UsageError('--failed and --status contradict each other: give one');
      const status = opts.failed ? 'failed' : opts.status;
      if (status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(status))
        throw new ValidationError(`unknown status "${status}": use pending, succeeded or failed`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new ValidationError(`--limit "${opts.limit}" must be a whole number from 1 to 100000`);
      const eventType = opts.event === undefined || opts.event === TEST_EVENT_TYPE ? opts.event : validateEventType(opts.event);
      const filter = {
        status: status as DeliveryStatus | undefined,
        webhookId: opts.webhook,
        eventType,
        since: opts.since === undefined ? undefined : parseSince(opts.since, s.clock()),
        limit,
      };
      if (opts.follow) return follow(s, filter);
      const rows = listDeliveries(s.ctx(), filter);
      if (s.json) return s.printJson(rows.map(deliveryView));
      if (rows.length === 0) return s.say('no deliveries match');
      printTable(s, rows, s.ctx().store.webhooks.names());
    });
}
