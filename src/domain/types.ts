/** Domain types. Row types (snake_case) live in store/; these are what the rest of zwh handles. */

export type AuthType = 'none' | 'basic' | 'bearer';
export const AUTH_TYPES: readonly AuthType[] = ['basic', 'bearer', 'none'];

export type WebhookAuth =
  | { type: 'none' }
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string };

export interface Webhook {
  id: string;
  name: string;
  url: string;
  auth: WebhookAuth;
  secret: string;
  events: string[];
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'succeeded', 'failed'];

/** What one HTTP attempt came to. A failed send is a result, not an exception. */
export type AttemptOutcome = 'ok' | 'http_error' | 'timeout' | 'network_error' | 'tls_error';
export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ['ok', 'http_error', 'timeout', 'network_error', 'tls_error'];

export interface SendResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  /** A short, secret-free description of what went wrong; null on success. */
  error: string | null;
  durationMs: number;
  responseExcerpt: string | null;
}

export interface EventRecord {
  id: string;
  type: string;
  /** When the event happened, unix ms. */
  occurredAt: number;
  /** The payload as compact JSON text: stored once, spliced into every body without re-parsing. */
  dataJson: string;
}

export interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  webhookId: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  replayOf: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface Attempt {
  deliveryId: string;
  attempt: number;
  startedAt: number;
  durationMs: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
}

/** Unix milliseconds. Injected everywhere time matters so tests need no sleeping. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
