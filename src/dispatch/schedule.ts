import type { DeliveryStatus, SendResult } from '../domain/types.js';

/**
 * What happens after an attempt (pure). Attempt n (1-based) that failed is retried after
 * delays[n-1]; when the schedule is used up the delivery is failed for good.
 */
export function nextStep(
  attempt: number,
  result: SendResult,
  now: number,
  delaysMs: readonly number[],
): { status: DeliveryStatus; nextAttemptAt: number | null } {
  if (result.outcome === 'ok') return { status: 'succeeded', nextAttemptAt: null };
  const delay = delaysMs[attempt - 1];
  if (delay === undefined) return { status: 'failed', nextAttemptAt: null };
  return { status: 'pending', nextAttemptAt: now + delay };
}
