import type { AppContext } from './context.js';

const PRUNE_CHUNK = 5_000;

/**
 * Removes finished history (succeeded or failed deliveries, their attempts, and events nothing
 * refers to any more) that finished before `cut`. Pending work is never touched, and neither is
 * any attempt of a delivery that finished after the cut. Works in chunks so serve is not blocked.
 */
export function pruneHistory(ctx: AppContext, cut: number, dryRun: boolean): { deliveries: number; events: number } {
  if (dryRun) return { deliveries: ctx.store.deliveries.countPrunable(cut), events: 0 };
  let deliveries = 0;
  for (let n = PRUNE_CHUNK; n === PRUNE_CHUNK; ) {
    n = ctx.store.deliveries.pruneChunk(cut, PRUNE_CHUNK);
    deliveries += n;
  }
  let events = 0;
  for (let n = PRUNE_CHUNK; n === PRUNE_CHUNK; ) {
    n = ctx.store.deliveries.pruneOrphanEvents(cut, PRUNE_CHUNK);
    events += n;
  }
  return { deliveries, events };
}
