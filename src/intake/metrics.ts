import type { AttemptOutcome, DeliveryStatus } from '../domain/types.js';
import { ATTEMPT_OUTCOMES } from '../domain/types.js';

const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** In-process counters of one serve, rendered in the Prometheus text format. */
export function createMetrics() {
  const attempts = new Map<AttemptOutcome, number>(ATTEMPT_OUTCOMES.map((o) => [o, 0]));
  const buckets = new Array<number>(LATENCY_BUCKETS_S.length).fill(0);
  let latencyCount = 0;
  let latencySum = 0;
  let eventsReceived = 0;
  let intakeRejected = 0;

  return {
    recordAttempt(outcome: AttemptOutcome, durationMs: number): void {
      attempts.set(outcome, (attempts.get(outcome) ?? 0) + 1);
      const s = durationMs / 1000;
      latencyCount++;
      latencySum += s;
      for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) if (s <= LATENCY_BUCKETS_S[i]!) buckets[i]!++;
    },
    recordIntake(accepted: number): void {
      eventsReceived += accepted;
    },
    recordRejected(): void {
      intakeRejected++;
    },
    render(gauges: { deliveries: Record<DeliveryStatus, number>; oldestPendingAgeS: number; inFlight: number }): string {
      const lines: string[] = [];
      lines.push('# HELP zwh_attempts_total Delivery attempts made by this serve, by outcome.');
      lines.push('# TYPE zwh_attempts_total counter');
      for (const [o, n] of attempts) lines.push(`zwh_attempts_total{outcome="${o}"} ${n}`);
      lines.push('# HELP zwh_deliveries Deliveries in the database, by state.');
      lines.push('# TYPE zwh_deliveries gauge');
      for (const [s, n] of Object.entries(gauges.deliveries)) lines.push(`zwh_deliveries{status="${s}"} ${n}`);
      lines.push('# HELP zwh_queue_depth Pending deliveries (due now, retrying, or in flight).');
      lines.push('# TYPE zwh_queue_depth gauge');
      lines.push(`zwh_queue_depth ${gauges.deliveries.pending}`);
      lines.push('# HELP zwh_oldest_pending_age_seconds Age of the oldest pending delivery, 0 when none.');
      lines.push('# TYPE zwh_oldest_pending_age_seconds gauge');
      lines.push(`zwh_oldest_pending_age_seconds ${gauges.oldestPendingAgeS.toFixed(3)}`);
      lines.push('# HELP zwh_in_flight Sends in flight in this serve.');
      lines.push('# TYPE zwh_in_flight gauge');
      lines.push(`zwh_in_flight ${gauges.inFlight}`);
      lines.push('# HELP zwh_send_duration_seconds Time from send to complete response, per attempt.');
      lines.push('# TYPE zwh_send_duration_seconds histogram');
      LATENCY_BUCKETS_S.forEach((b, i) => lines.push(`zwh_send_duration_seconds_bucket{le="${b}"} ${buckets[i]}`));
      lines.push(`zwh_send_duration_seconds_bucket{le="+Inf"} ${latencyCount}`);
      lines.push(`zwh_send_duration_seconds_sum ${latencySum.toFixed(6)}`);
      lines.push(`zwh_send_duration_seconds_count ${latencyCount}`);
      lines.push('# HELP zwh_intake_events_total Events accepted by the intake API.');
      lines.push('# TYPE zwh_intake_events_total counter');
      lines.push(`zwh_intake_events_total ${eventsReceived}`);
      lines.push('# HELP zwh_intake_rejected_total Intake requests refused (auth, size, invalid).');
      lines.push('# TYPE zwh_intake_rejected_total counter');
      lines.push(`zwh_intake_rejected_total ${intakeRejected}`);
      return lines.join('\n') + '\n';
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
