import { subscribes } from '../domain/catalog.js';
import type { EventRecord } from '../domain/types.js';
import type { Counts } from './counts.js';
import type { Db } from './open.js';

export interface RecordedEvent {
  id: string;
  type: string;
  deliveries: number;
  /** The id was already recorded: nothing new was queued. */
  duplicate: boolean;
}

/**
 * Events and the deliveries they fan out to are written together: an event is never on disk
 * without its deliveries, nor a delivery without its event.
 */
export function createEventsRepo(db: Db, counts: Counts, strict: () => void) {
  const insertEventStmt = db.prepare(`
    INSERT INTO events (id, type, occurred_at, data, created_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING`);
  const subscribersStmt = db.prepare<[], { id: string; events: string }>(
    'SELECT id, events FROM webhooks WHERE enabled = 1 AND removed_at IS NULL ORDER BY id',
  );
  const insertDeliveryStmt = db.prepare(`
    INSERT INTO deliveries (id, event_id, event_type, webhook_id, status, attempts, next_attempt_at, lease_owner, replay_of, created_at, updated_at)
    VALUES (@id, @event_id, @event_type, @webhook_id, 'pending', 0, @next_attempt_at, @lease_owner, @replay_of, @now, @now)`);

  return {
    /** Records a batch in one IMMEDIATE transaction; one delivery per enabled subscriber. */
    record(events: readonly EventRecord[], now: number, newDeliveryId: () => string): RecordedEvent[] {
      strict();
      return db.transaction(() => {
        const subscribers = subscribersStmt.all().map((w) => ({ id: w.id, events: JSON.parse(w.events) as string[] }));
        const targetsByType = new Map<string, string[]>();
        const out: RecordedEvent[] = [];
        let queued = 0;
        for (const e of events) {
          const inserted = insertEventStmt.run(e.id, e.type, e.occurredAt, e.dataJson, now).changes === 1;
          if (!inserted) {
            out.push({ id: e.id, type: e.type, deliveries: 0, duplicate: true });
            continue;
          }
          let targets = targetsByType.get(e.type);
          if (!targets) {
            targets = subscribers.filter((w) => subscribes(w.events, e.type)).map((w) => w.id);
            targetsByType.set(e.type, targets);
          }
          for (const webhookId of targets) {
            insertDeliveryStmt.run({
              id: newDeliveryId(),
              event_id: e.id,
              event_type: e.type,
              webhook_id: webhookId,
              next_attempt_at: now,
              lease_owner: null,
              replay_of: null,
              now,
            });
          }
          out.push({ id: e.id, type: e.type, deliveries: targets.length, duplicate: false });
          queued += targets.length;
        }
        counts.adjust({ pending: queued });
        return out;
      }).immediate();
    },

    /**
     * Records an event addressed to one webhook, whatever it subscribes to (zwh test), with its
     * delivery already leased to the caller so no serve picks it up while the caller sends it.
     */
    recordDirected(e: EventRecord, webhookId: string, deliveryId: string, owner: string, leaseUntil: number, now: number): void {
      strict();
      db.transaction(() => {
        insertEventStmt.run(e.id, e.type, e.occurredAt, e.dataJson, now);
        insertDeliveryStmt.run({
          id: deliveryId,
          event_id: e.id,
          event_type: e.type,
          webhook_id: webhookId,
          next_attempt_at: leaseUntil,
          lease_owner: owner,
          replay_of: null,
          now,
        });
        counts.adjust({ pending: 1 });
      }).immediate();
    },

    /** New pending deliveries linked to the originals: same event, the webhook's current settings. */
    insertReplays(originals: readonly { id: string; eventId: string; eventType: string; webhookId: string }[], now: number, newDeliveryId: () => string): string[] {
      strict();
      return db.transaction(() => {
        counts.adjust({ pending: originals.length });
        return originals.map((o) => {
          const id = newDeliveryId();
          insertDeliveryStmt.run({
            id,
            event_id: o.eventId,
            event_type: o.eventType,
            webhook_id: o.webhookId,
            next_attempt_at: now,
            lease_owner: null,
            replay_of: o.id,
            now,
          });
          return id;
        });
      }).immediate();
    },
  };
}

export type EventsRepo = ReturnType<typeof createEventsRepo>;
