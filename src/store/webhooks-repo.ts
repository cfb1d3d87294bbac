import type { Webhook, WebhookAuth } from '../domain/types.js';
import type { Counts } from './counts.js';
import type { Db } from './open.js';

export interface WebhookRow {
  id: string;
  name: string;
  url: string;
  auth_type: 'none' | 'basic' | 'bearer';
  auth_username: string | null;
  auth_credential: string | null;
  secret: string;
  events: string;
  enabled: number;
  created_at: number;
  updated_at: number;
  removed_at: number | null;
}

export function webhookFromRow(row: WebhookRow): Webhook {
  let auth: WebhookAuth;
  if (row.auth_type === 'basic') auth = { type: 'basic', username: row.auth_username ?? '', password: row.auth_credential ?? '' };
  else if (row.auth_type === 'bearer') auth = { type: 'bearer', token: row.auth_credential ?? '' };
  else auth = { type: 'none' };
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    auth,
    secret: row.secret,
    events: JSON.parse(row.events) as string[],
    enabled: row.enabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function authColumns(auth: WebhookAuth): { auth_type: string; auth_username: string | null; auth_credential: string | null } {
  switch (auth.type) {
    case 'basic':
      return { auth_type: 'basic', auth_username: auth.username, auth_credential: auth.password };
    case 'bearer':
      return { auth_type: 'bearer', auth_username: null, auth_credential: auth.token };
    case 'none':
      return { auth_type: 'none', auth_username: null, auth_credential: null };
  }
}

function columns(w: Webhook) {
  return {
    id: w.id,
    name: w.name,
    url: w.url,
    ...authColumns(w.auth),
    secret: w.secret,
    events: JSON.stringify(w.events),
    enabled: w.enabled ? 1 : 0,
    created_at: w.createdAt,
    updated_at: w.updatedAt,
  };
}

export interface WebhookSummary extends Webhook {
  lastDeliveryStatus: string | null;
}

export function createWebhooksRepo(db: Db, counts: Counts, strict: () => void) {
  const insertStmt = db.prepare(`
    INSERT INTO webhooks (id, name, url, auth_type, auth_username, auth_credential, secret, events, enabled, created_at, updated_at)
    VALUES (@id, @name, @url, @auth_type, @auth_username, @auth_credential, @secret, @events, @enabled, @created_at, @updated_at)`);
  const updateStmt = db.prepare(`
    UPDATE webhooks SET name = @name, url = @url, auth_type = @auth_type, auth_username = @auth_username,
      auth_credential = @auth_credential, secret = @secret, events = @events, enabled = @enabled, updated_at = @updated_at
    WHERE id = @id AND removed_at IS NULL`);
  const findStmt = db.prepare<[string], WebhookRow>('SELECT * FROM webhooks WHERE id = ? AND removed_at IS NULL');
  const findAnyStmt = db.prepare<[string], WebhookRow>('SELECT * FROM webhooks WHERE id = ?');
  const listStmt = db.prepare<[], WebhookRow & { last_status: string | null }>(`
    SELECT w.*, (SELECT d.status FROM deliveries d WHERE d.webhook_id = w.id ORDER BY d.seq DESC LIMIT 1) AS last_status
    FROM webhooks w WHERE w.removed_at IS NULL ORDER BY w.created_at, w.id`);
  const namesStmt = db.prepare<[], { id: string; name: string }>('SELECT id, name FROM webhooks');
  // Removing scrubs the credentials: a removed definition is kept only so history can name it.
  const removeStmt = db.prepare(`
    UPDATE webhooks SET removed_at = @now, updated_at = @now, enabled = 0, secret = '', auth_username = NULL, auth_credential = NULL
    WHERE id = @id AND removed_at IS NULL`);
  const failPendingStmt = db.prepare(`
    UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, lease_owner = NULL, last_error = @error,
      updated_at = @now, finished_at = @now
    WHERE webhook_id = @id AND status = 'pending'`);
  const setEnabledStmt = db.prepare(
    'UPDATE webhooks SET enabled = @enabled, updated_at = @now WHERE id = @id AND removed_at IS NULL',
  );

  return {
    insert(w: Webhook): void {
      strict();
      insertStmt.run(columns(w));
    },
    update(w: Webhook): boolean {
      strict();
      const { created_at: _unchanged, ...rest } = columns(w);
      return updateStmt.run(rest).changes === 1;
    },
    find(id: string): Webhook | undefined {
      const row = findStmt.get(id);
      return row ? webhookFromRow(row) : undefined;
    },
    /** Includes removed definitions (without credentials), for history and replay. */
    findIncludingRemoved(id: string): (Webhook & { removed: boolean }) | undefined {
      const row = findAnyStmt.get(id);
      return row ? { ...webhookFromRow(row), removed: row.removed_at !== null } : undefined;
    },
    list(): WebhookSummary[] {
      return listStmt.all().map((row) => ({ ...webhookFromRow(row), lastDeliveryStatus: row.last_status }));
    },
    /** id → name of every definition ever made, for history views. */
    names(): Map<string, string> {
      return new Map(namesStmt.all().map((r) => [r.id, r.name]));
    },
    /** Marks the definition removed and fails its pending deliveries, in one transaction. */
    remove(id: string, now: number): { removed: boolean; failedPending: number } {
      strict();
      return db.transaction(() => {
        const r = removeStmt.run({ id, now });
        if (r.changes === 0) return { removed: false, failedPending: 0 };
        const f = failPendingStmt.run({ id, now, error: 'webhook removed before delivery' });
        counts.finished(now, 0, f.changes);
        return { removed: true, failedPending: f.changes };
      }).immediate();
    },
    setEnabled(id: string, enabled: boolean, now: number): boolean {
      strict();
      return setEnabledStmt.run({ id, enabled: enabled ? 1 : 0, now }).changes === 1;
    },
  };
}

export type WebhooksRepo = ReturnType<typeof createWebhooksRepo>;
