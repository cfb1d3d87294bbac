/**
 * The dispatch loop: claim → send → settle.
 *
 * - Each turn of the loop makes one write: it settles every send that finished since the last
 *   turn and claims more work, in one short IMMEDIATE transaction. Sends happen outside any
 *   transaction; nothing awaits inside one.
 * - Claims run ahead of the sends by up to `concurrency` deliveries (the ready queue), so that
 *   they come in batches rather than one per freed slot.
 * - At most `concurrency` sends are in flight, and at most `perWebhook` to one webhook (which may
 *   also hold at most `perWebhook` in the ready queue), so a slow or dead endpoint holds only its
 *   own share of the slots and never delays the others.
 * - A claimed row is leased to this dispatcher until `leaseMs` after the claim; if the process
 *   dies, the row becomes due again when the lease runs out and another serve sends it
 *   (at-least-once). The lease covers the wait in the ready queue plus one send (≤ 5 s).
 * - stop(): claim nothing more, let in-flight sends finish within the grace period, settle them,
 *   and release the leases of everything else this dispatcher holds, so it is due at once.
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
  error: [Error];
  idle: [];
}

export interface Dispatcher extends EventEmitter<DispatcherEvents> {
  start(): void;
  /** Look for work now (the intake calls this after recording events). */
  nudge(): void;
  /** Resolves when nothing is held or in flight and nothing is pending for an enabled webhook. */
  drained(): Promise<void>;
  stop(graceMs: number): Promise<{ released: number }>;
  inFlight(): number;
}

interface Finished {
  settlement: Settlement;
  report: AttemptReport;
}

/** How long finished sends may wait to be settled together while the ready queue holds work. */
const GATHER_MS = 5;

export function createDispatcher(deps: { store: Store; sender: Sender; clock: Clock }, opts: DispatcherOptions): Dispatcher {
  const { store, sender, clock } = deps;
  const emitter = new EventEmitter<DispatcherEvents>();
  /** Claimed, not yet sent, in claim order. */
  let ready: ClaimedDelivery[] = [];
  /** Sent and not yet settled (sending, or finished and waiting for the next turn), by seq. */
  const inflight = new Map<number, ClaimedDelivery>();
  let sending = 0;
  /** Per webhook: ready + in flight (claim room) and in flight only (send room). */
  const heldByWebhook = new Map<string, number>();
  const sendingByWebhook = new Map<string, number>();
  let finished: Finished[] = [];
  let tickScheduled = false;
  let gatherTimer: NodeJS.Timeout | undefined;
  let running = false;
  let stopping = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let drainWaiters: (() => void)[] = [];
  const capacity = opts.concurrency * 2;
  const minBatch = Math.max(1, Math.floor(opts.concurrency / 2));

  const bump = (m: Map<string, number>, key: string, by: number) => {
    const n = (m.get(key) ?? 0) + by;
    if (n <= 0) m.delete(key);
    else m.set(key, n);
  };
  const claimRoom = (webhookId: string) => opts.perWebhook * 2 - (heldByWebhook.get(webhookId) ?? 0);

  function reportError(err: unknown): void {
    emitter.emit('error', err instanceof Error ? err : new Error(String(err)));
  }

  /**
   * One turn of the loop: settle what finished and, when the ready queue runs low, claim more —
   * one transaction — then start every send there is room for.
   */
  function tick(): void {
    tickScheduled = false;
    const batch = finished;
    finished = [];
    for (const f of batch) {
      const d = inflight.get(f.settlement.seq);
      if (!d) continue;
      inflight.delete(f.settlement.seq);
      bump(heldByWebhook, d.webhookId, -1);
    }
    const held = ready.length + inflight.size;
    const free = running && !stopping ? capacity - held : 0;
    const claimNow = free > 0 && (held === 0 || free >= minBatch);
    const now = clock();
    let claimed: ClaimedDelivery[] = [];
    try {
      claimed = store.deliveries.settleAndClaim(
        opts.owner,
        batch.map((f) => f.settlement),
        now,
        claimNow ? { owner: opts.owner, now, leaseUntil: now + opts.leaseMs, limit: free, room: claimRoom } : null,
      ).claimed;
    } catch (err) {
      // Outcomes not recorded stay leased; when the lease runs out they are sent again.
      reportError(err);
    }
    for (const f of batch) emitter.emit('attempt', f.report);
    for (const d of claimed) {
      ready.push(d);
      bump(heldByWebhook, d.webhookId, 1);
    }
    launchReady();
    if (claimNow && claimed.length === 0 && ready.length === 0 && inflight.size === 0) checkDrained();
  }

  function launchReady(): void {
    if (ready.length === 0 || stopping) return;
    const waiting: ClaimedDelivery[] = [];
    for (const d of ready) {
      if (sending < opts.concurrency && (sendingByWebhook.get(d.webhookId) ?? 0) < opts.perWebhook) launch(d);
      else waiting.push(d);
    }
    ready = waiting;
  }

  /** Starts the first ready delivery whose webhook has room (usually the first one). */
  function launchOne(): void {
    if (stopping || sending >= opts.concurrency) return;
    for (let i = 0; i < ready.length; i++) {
      const d = ready[i]!;
      if ((sendingByWebhook.get(d.webhookId) ?? 0) < opts.perWebhook) {
        ready.splice(i, 1);
        launch(d);
        return;
      }
    }
  }

  /**
   * The next turn comes at once when the ready queue is empty (new work should go out now). When
   * it still holds work, no send waits on the turn, so finished sends gather for GATHER_MS and one
   * commit settles many: at full speed that is a third of the commits and ~10 % less CPU.
   */
  function scheduleTick(): void {
    if (tickScheduled) return;
    tickScheduled = true;
    if (ready.length > 0) gatherTimer = setTimeout(tick, GATHER_MS);
    else setImmediate(tick);
  }

  function launch(d: ClaimedDelivery): void {
    const startedAt = clock();
    inflight.set(d.seq, d);
    sending++;
    bump(sendingByWebhook, d.webhookId, 1);
    sender
      .send(buildRequest(d, opts.userAgent, startedAt))
      .then((result) => finish(d, startedAt, result))
      .catch(reportError);
  }

  function finish(d: ClaimedDelivery, startedAt: number, result: SendResult): void {
    if (!inflight.has(d.seq)) return; // released at shutdown: the lease is no longer ours
    sending--;
    bump(sendingByWebhook, d.webhookId, -1);
    const step = nextStep(d.attempt, result, clock(), opts.retryDelaysMs);
    finished.push({
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
    launchOne(); // the slot is free now; the settle can wait for the next turn
    scheduleTick();
  }

  function checkDrained(): void {
    if (drainWaiters.length === 0) return;
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
      pollTimer = setInterval(scheduleTick, opts.pollMs);
      scheduleTick();
    },
    nudge(): void {
      scheduleTick();
    },
    drained(): Promise<void> {
      return new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        scheduleTick();
      });
    },
    inFlight: () => sending,
    async stop(graceMs: number): Promise<{ released: number }> {
      stopping = true;
      if (pollTimer) clearInterval(pollTimer);
      const deadline = clock() + graceMs;
      while ((inflight.size > 0 || finished.length > 0) && clock() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      clearTimeout(gatherTimer);
      tick();
      // Must release even what is still sending: its outcome will not be recorded by us.
      const left = [...ready, ...inflight.values()].map((d) => d.seq);
      ready = [];
      inflight.clear();
      sending = 0;
      heldByWebhook.clear();
      sendingByWebhook.clear();
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
