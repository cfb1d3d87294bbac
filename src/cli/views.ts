/** The --json shapes of SPEC §7 (snake_case). No view here carries a secret except addedWebhookView. */
import type { AttemptRow, DeliveryRow } from '../store/deliveries-repo.js';
import type { Webhook } from '../domain/types.js';
import type { StatusReport } from '../app/status.js';

const isoOrNull = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export function webhookView(w: Webhook) {
  return {
    id: w.id,
    name: w.name,
    url: w.url,
    auth: w.auth.type,
    events: w.events,
    enabled: w.enabled,
    created_at: new Date(w.createdAt).toISOString(),
    updated_at: new Date(w.updatedAt).toISOString(),
  };
}

export function addedWebhookView(w: Webhook) {
  return { ...webhookView(w), secret: w.secret };
}

export function deliveryView(d: DeliveryRow) {
  return {
    id: d.id,
    event_id: d.event_id,
    event: d.event_type,
    webhook_id: d.webhook_id,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.last_status_code,
    last_error: d.last_error,
    created_at: new Date(d.created_at).toISOString(),
    updated_at: new Date(d.updated_at).toISOString(),
    replay_of: d.replay_of,
  };
}

export function attemptView(a: AttemptRow) {
  return {
    attempt: a.attempt,
    started_at: new Date(a.started_at).toISOString(),
    status_code: a.status_code,
    error: a.error,
    duration_ms: a.duration_ms,
    response_excerpt: a.response_excerpt,
  };
}

export function statusView(s: StatusReport, now: number) {
  return {
    pending: s.counts.pending,
    succeeded: s.counts.succeeded,
    failed: s.counts.failed,
    serve_alive: s.serves.length > 0,
    success_rate_24h: s.successRate24h,
    oldest_pending_age_ms: s.oldestPendingAt === null ? null : Math.max(0, now - s.oldestPendingAt),
    webhooks: s.webhooks.map((w) => ({
      id: w.id,
      name: w.name,
      enabled: w.enabled,
      last_success_at: isoOrNull(w.lastSuccessAt),
      consecutive_failures: w.consecutiveFailures,
    })),
  };
}
