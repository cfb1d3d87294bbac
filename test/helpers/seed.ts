import { newWebhookId } from '../../src/domain/ids.js';
import type { Webhook } from '../../src/domain/types.js';
import type { Store } from '../../src/store/store.js';

let counter = 0;

/** Inserts a webhook straight through the repository (for store-level tests). */
export function seedWebhook(store: Store, over: Partial<Webhook> = {}): Webhook {
  const w: Webhook = {
    id: newWebhookId(),
    name: `hook ${++counter}`,
    url: 'https://127.0.0.1:1/hooks',
    auth: { type: 'none' },
    secret: 'whsec_test_secret_0123456789',
    events: ['*'],
    enabled: true,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  };
  store.webhooks.insert(w);
  return w;
}

let ids = 0;
export function seedEvents(store: Store, n: number, now: number, type = 'ticket.created') {
  const events = Array.from({ length: n }, () => ({ id: `evt_seed_${++ids}`, type, occurredAt: now, dataJson: '{"n":1}' }));
  return store.events.record(events, now, () => `dlv_seed_${++ids}`);
}
