/**
 * The dispatch loop: claim → send → settle.
 *
 * - Claims happen in one short IMMEDIATE transaction, sends happen outside any transaction, and
 *   outcomes are settled in batches (one transaction for everything that finished in the same
 *   turn of the event loop). Never await inside a transaction.
 * - At most `concurrency` sends are in flight, and at most `perWebhook` to one webhook, so a slow
 *   or dead endpoint holds only its own share of the slots.
 * - A claimed row is leased to this dispatcher until `leaseMs` from the claim; if the process dies,
 *   the row becomes due again when the lease runs out and another serve sends it (at-least-once).
 * - stop(): claim nothing more, let in-flight sends finish within the grace period, settle them,
 *   and release the leases of any that did not finish so they are due at once for the next serve.
 *
 * The loop reports through typed events; it never prints and never touches `process`.
 */
import { EventEmitter } from 'node:events';
import type { Clock, DeliveryStatus, SendResult } from '../domain/types.js';
import type { ClaimedDelivery, Settlement } from '../store/deliveries-repo.js';
import type { Store } from '../store/store.js';
import { buildRequest } from './request.js';
import { nextStep } from './schedule.js';
import type { Sender } from './sender.js';

export interface DispatcherOptions {
  owner: string;
  concurrency: number;
  perWebhook: number;
  leaseMs: number;
  retryDelaysMs: readonly number[];
  /** How often to look for work written by other processes, and for retries that fell due. */
  pollMs: number;
  userAgent: string;
}

export interface AttemptReport {
  deliveryId: string;
  eventId: string;
  eventType: string;
  webhookId: string;
  url: string;
  attempt: number;
  result: SendResult;
  status: DeliveryStatus;
  nextAttemptAt: number | null;
}

export interface DispatcherEvents {
  attempt: [AttemptReport];
  lease_lost: [{ deliveryId: string }];
  error: [Error];
  idle: [];
}

interface InFlight {
  delivery: ClaimedDelivery;
  startedAt: number;
}

export interface Dispatcher extends EventEmitter<DispatcherEvents> {
  start(): void;
  /** Look for work now (the intake calls this after recording events). */
  nudge(): void;
  /** Resolves when nothing is in flight and nothing is pending for an enabled webhook. */
  drained(): Promise<void>;
  stop(graceMs: number): Promise<{ released: number }>;
  inFlight(): number;
}

export function createDispatcher(deps: { store: Store; sender: Sender; clock: Clock }, opts: DispatcherOptions): Dispatcher {
  const { store, sender, clock } = deps;
  const emitter = new EventEmitter<DispatcherEvents>();
  const inflight = new Map<number, InFlight>();
  const inflightByWebhook = new Map<string, number>();
  let settleBuffer: { settlement: Settlement; report: AttemptReport }[] = [];
  let flushScheduled = false;
  let pumpScheduled = false;
  let running = false;
  let stopping = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let drainWaiters: (() => void)[] = [];
  const minBatch = Math.max(1, Math.floor(opts.concurrency / 8));

  function reportError(err: unknown): void {
    emitter.emit('error', err instanceof Error ? err : new Error(String(err)));
  }

  function room(webhookId: string): number {
    return opts.perWebhook - (inflightByWebhook.get(webhookId) ?? 0);
  }

  function pump(): void {
    pumpScheduled = false;
    if (!running || stopping) return;
    const free = opts.concurrency - inflight.size;
    // Claim in batches: one transaction per handful of freed slots, not one per delivery.
    if (free <= 0 || (inflight.size > 0 && free < minBatch)) return;
    let claimed: ClaimedDelivery[];
    try {
      const now = clock();
      claimed = store.deliveries.claimDue({ owner: opts.owner, now, leaseUntil: now + opts.leaseMs, limit: free, room });
    } catch (err) {
      reportError(err);
      return;
    }
    for (const d of claimed) launch(d);
    if (claimed.length === 0 && inflight.size === 0) checkDrained();
  }

  function schedulePump(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    setImmediate(pump);
  }

  function launch(d: ClaimedDelivery): void {
    const startedAt = clock();
    inflight.set(d.seq, { delivery: d, startedAt });
    inflightByWebhook.set(d.webhookId, (inflightByWebhook.get(d.webhookId) ?? 0) + 1);
    sender
      .send(buildRequest(d, opts.userAgent, startedAt))
      .then((result) => finish(d, startedAt, result))
      .catch(reportError);
  }

  function finish(d: ClaimedDelivery, startedAt: number, result: SendResult): void {
    if (!inflight.has(d.seq)) return; // released at shutdown: the lease is no longer ours
    const now = clock();
    const step = nextStep(d.attempt, result, now, opts.retryDelaysMs);
    settleBuffer.push({
      settlement: { seq: d.seq, attempt: d.attempt, startedAt, result, status: step.status, nextAttemptAt: step.nextAttemptAt },
      report: {
        deliveryId: d.id,
        eventId: d.eventId,
        eventType: d.eventType,
        webhookId: d.webhookId,
        url: d.url,
        attempt: d.attempt,
        result,
        status: step.status,
        nextAttemptAt: step.nextAttemptAt,
      },
    });
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }

  function flush(): void {
    flushScheduled = false;
    const batch = settleBuffer;
    settleBuffer = [];
    if (batch.length === 0) return;
    try {
      store.deliveries.settle(opts.owner, batch.map((b) => b.settlement), clock());
    } catch (err) {
      // The rows stay leased; when the lease expires they are sent again (at-least-once).
      reportError(err);
    }
    for (const b of batch) {
      const entry = inflight.get(b.settlement.seq);
      if (entry) {
        inflight.delete(b.settlement.seq);
        const n = (inflightByWebhook.get(entry.delivery.webhookId) ?? 1) - 1;
        if (n <= 0) inflightByWebhook.delete(entry.delivery.webhookId);
        else inflightByWebhook.set(entry.delivery.webhookId, n);
      }
      emitter.emit('attempt', b.report);
    }
    schedulePump();
  }

  function checkDrained(): void {
    if (drainWaiters.length === 0 || inflight.size > 0 || settleBuffer.length > 0) return;
    let next: number | null;
    try {
      next = store.deliveries.nextDueAt();
    } catch (err) {
      reportError(err);
      return;
    }
    if (next !== null) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const w of waiters) w();
    emitter.emit('idle');
  }

  const dispatcher = Object.assign(emitter, {
    start(): void {
      if (running) return;
      running = true;
      pollTimer = setInterval(schedulePump, opts.pollMs);
      schedulePump();
    },
    nudge(): void {
      schedulePump();
    },
    drained(): Promise<void> {
      return new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        schedulePump();
      });
    },
    inFlight: () => inflight.size,
    async stop(graceMs: number): Promise<{ released: number }> {
      stopping = true;
      if (pollTimer) clearInterval(pollTimer);
      const deadline = clock() + graceMs;
      while ((inflight.size > 0 || settleBuffer.length > 0) && clock() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      flush();
      const left = [...inflight.keys()];
      inflight.clear();
      inflightByWebhook.clear();
      let released = 0;
      try {
        released = store.deliveries.releaseLeases(opts.owner, left, clock());
      } catch (err) {
        reportError(err); // their leases expire by themselves
      }
      running = false;
      await sender.close();
      return { released };
    },
  });
  return dispatcher as Dispatcher;
}
