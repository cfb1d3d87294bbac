import { TEST_EVENT_TYPE } from '../domain/catalog.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { newDeliveryId, newEventId } from '../domain/ids.js';
import { ATTEMPT_TIMEOUT_MS } from '../domain/limits.js';
import { USER_AGENT } from '../domain/version.js';
import type { SendResult } from '../domain/types.js';
import { buildRequest } from '../dispatch/request.js';
import type { Sender } from '../dispatch/sender.js';
import type { AttemptRow, DeliveryRow, HistoryFilter } from '../store/deliveries-repo.js';
import type { AppContext } from './context.js';
import { getWebhook } from './webhooks.js';

export interface TestOutcome {
  deliveryId: string;
  eventId: string;
  result: SendResult;
}

/**
 * Sends a webhook.test event to one webhook now, through the same request builder and sender as
 * serve, and records it in history as a one-attempt delivery (tests are not retried). The
 * delivery is leased to this call, so no serve sends it; `cancel` (the operator's Ctrl-C) ends the
 * send early and records it as failed, so a cancelled test is not sent later by a serve.
 */
export async function testWebhook(ctx: AppContext, sender: Sender, webhookId: string, cancel?: AbortSignal): Promise<TestOutcome> {
  const w = getWebhook(ctx, webhookId);
  const now = ctx.clock();
  const owner = `test:${process.pid}:${now}`;
  const eventId = newEventId(now, ctx.random);
  const deliveryId = newDeliveryId(now, ctx.random);
  const dataJson = JSON.stringify({ webhook_id: w.id, webhook_name: w.name, message: 'zwh test event' });
  ctx.store.events.recordDirected(
    { id: eventId, type: TEST_EVENT_TYPE, occurredAt: now, dataJson },
    w.id,
    deliveryId,
    owner,
    now + ATTEMPT_TIMEOUT_MS * 6,
    now,
  );
  const row = ctx.store.deliveries.find(deliveryId)!;
  const startedAt = ctx.clock();
  const result = await sender.send({
    ...buildRequest(
      {
        seq: row.seq,
        id: deliveryId,
        eventId,
        eventType: TEST_EVENT_TYPE,
        occurredAt: now,
        dataJson,
        webhookId: w.id,
        url: w.url,
        authType: w.auth.type,
        authUsername: w.auth.type === 'basic' ? w.auth.username : null,
        authCredential: w.auth.type === 'basic' ? w.auth.password : w.auth.type === 'bearer' ? w.auth.token : null,
        secret: w.secret,
        attempt: 1,
      },
      USER_AGENT,
      startedAt,
    ),
    cancel,
  });
  ctx.store.deliveries.settle(
    owner,
    [{ seq: row.seq, attempt: 1, startedAt, result, status: result.outcome === 'ok' ? 'succeeded' : 'failed', nextAttemptAt: null }],
    ctx.clock(),
  );
  return { deliveryId, eventId, result };
}

export function listDeliveries(ctx: AppContext, filter: HistoryFilter): DeliveryRow[] {
  return ctx.store.deliveries.history(filter);
}

export interface DeliveryDetail {
  delivery: DeliveryRow;
  attempts: AttemptRow[];
  /** Oldest first: the original this one replays, and so on back. */
  replayChain: DeliveryRow[];
  replays: DeliveryRow[];
}

export function deliveryNotFound(id: string): NotFoundError {
  return new NotFoundError(`delivery ${id} not found (see: zwh logs)`);
}

export function getDelivery(ctx: AppContext, id: string): DeliveryDetail {
  const delivery = ctx.store.deliveries.find(id);
  if (!delivery) throw deliveryNotFound(id);
  const chain: DeliveryRow[] = [];
  let cursor = delivery.replay_of;
  for (let hops = 0; cursor && hops < 100; hops++) {
    const prev = ctx.store.deliveries.find(cursor);
    if (!prev) break;
    chain.unshift(prev);
    cursor = prev.replay_of;
  }
  return {
    delivery,
    attempts: ctx.store.deliveries.attemptsOf(delivery.seq),
    replayChain: chain,
    replays: ctx.store.deliveries.replaysOf(delivery.id),
  };
}

export interface ReplayPlan {
  originals: DeliveryRow[];
  /** Matching failed deliveries left out because their webhook was removed. */
  skippedRemoved: number;
}

const REPLAY_CHUNK = 5_000;

function checkReplayable(ctx: AppContext, d: DeliveryRow, force: boolean): void {
  if (!force && d.status !== 'failed')
    throw new ConflictError(`delivery ${d.id} is ${d.status}: only failed deliveries are replayed (add --force to send it again)`);
  const w = ctx.store.webhooks.findIncludingRemoved(d.webhook_id);
  if (!w || w.removed) throw new ConflictError(`delivery ${d.id} went to webhook ${d.webhook_id}, which was removed: it cannot be replayed`);
}

/** Plans a replay of named deliveries; every id is checked before anything is written. */
export function planReplayByIds(ctx: AppContext, ids: readonly string[], force: boolean): ReplayPlan {
  const originals: DeliveryRow[] = [];
  for (const id of new Set(ids)) {
    const d = ctx.store.deliveries.find(id);
    if (!d) throw deliveryNotFound(id);
    checkReplayable(ctx, d, force);
    originals.push(d);
  }
  return { originals, skippedRemoved: 0 };
}

/** Failed deliveries matching the filters that were not replayed already (a replay is their successor). */
export function planReplayFailed(ctx: AppContext, filter: Omit<HistoryFilter, 'status' | 'limit'> & { limit?: number }): ReplayPlan {
  const rows = ctx.store.deliveries.replayableFailed({ ...filter, limit: filter.limit ?? Number.MAX_SAFE_INTEGER });
  const removed = new Map<string, boolean>();
  const originals: DeliveryRow[] = [];
  let skippedRemoved = 0;
  for (const d of rows) {
    let gone = removed.get(d.webhook_id);
    if (gone === undefined) {
      const w = ctx.store.webhooks.findIncludingRemoved(d.webhook_id);
      gone = !w || w.removed;
      removed.set(d.webhook_id, gone);
    }
    if (gone) skippedRemoved++;
    else originals.push(d);
  }
  return { originals, skippedRemoved };
}

export function executeReplay(ctx: AppContext, plan: ReplayPlan, onProgress?: (done: number, total: number) => void): string[] {
  const ids: string[] = [];
  const all = plan.originals;
  for (let i = 0; i < all.length; i += REPLAY_CHUNK) {
    const now = ctx.clock();
    const chunk = all.slice(i, i + REPLAY_CHUNK).map((d) => ({ id: d.id, eventId: d.event_id, eventType: d.event_type, webhookId: d.webhook_id }));
    ids.push(...ctx.store.events.insertReplays(chunk, now, () => newDeliveryId(now, ctx.random)));
    onProgress?.(ids.length, all.length);
  }
  return ids;
}

