import type { DeliveryStatus } from '../domain/types.js';
import type { AppContext } from './context.js';

export const HEARTBEAT_MS = 2_000;
/** A serve whose heartbeat is older than this is taken for dead. */
export const HEARTBEAT_STALE_MS = 10_000;
const DAY_MS = 86_400_000;
/** How far back a webhook's failure streak is counted; beyond it we say "at least". */
export const STREAK_CAP = 1_000;

export interface WebhookHealth {
  id: string;
  name: string;
  enabled: boolean;
  lastSuccessAt: number | null;
  consecutiveFailures: number;
  /** The streak reached STREAK_CAP: the real number is at least consecutiveFailures. */
  streakCapped: boolean;
}

export interface StatusReport {
  counts: Record<DeliveryStatus, number>;
  serves: { id: string; pid: number; hostname: string; listen: string | null; heartbeatAt: number }[];
  successRate24h: number | null;
  finished24h: { succeeded: number; failed: number };
  oldestPendingAt: number | null;
  webhooks: WebhookHealth[];
}

export function aliveServes(ctx: AppContext) {
  return ctx.store.serves.alive(ctx.clock() - HEARTBEAT_STALE_MS);
}

export function getStatus(ctx: AppContext): StatusReport {
  const now = ctx.clock();
  const d = ctx.store.deliveries;
  const finished = d.finishedSince(now - DAY_MS);
  const total = finished.succeeded + finished.failed;
  const webhooks = ctx.store.webhooks.list().map((w): WebhookHealth => {
    const recent = d.recentOfWebhook(w.id, STREAK_CAP);
    let failures = 0;
    let lastSuccessAt: number | null = null;
    for (const r of recent) {
      if (r.status === 'succeeded') {
        lastSuccessAt = r.finished_at;
        break;
      }
      if (r.status === 'failed') failures++;
    }
    return {
      id: w.id,
      name: w.name,
      enabled: w.enabled,
      lastSuccessAt,
      consecutiveFailures: failures,
      streakCapped: lastSuccessAt === null && recent.length === STREAK_CAP,
    };
  });
  return {
    counts: d.countsByStatus(),
    serves: aliveServes(ctx).map((s) => ({ id: s.id, pid: s.pid, hostname: s.hostname, listen: s.listen, heartbeatAt: s.heartbeat_at })),
    successRate24h: total === 0 ? null : finished.succeeded / total,
    finished24h: finished,
    oldestPendingAt: d.oldestPendingCreatedAt(),
    webhooks,
  };
}
