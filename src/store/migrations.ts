/**
 * Append-only schema migrations, versioned by PRAGMA user_version. Never edit a shipped entry:
 * add a new one. Each `up` runs with its user_version bump in one IMMEDIATE transaction, so two
 * processes opening a fresh file at once cannot both migrate it.
 *
 * The schema is shaped for the whole contract and for a second store later: plain tables, integer
 * unix-ms times named *_at, text ids users see, integer keys for the high-volume joins.
 */

export interface Migration {
  version: number;
  up: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `
CREATE TABLE webhooks (
  id               TEXT PRIMARY KEY,
  name             TEXT NOT NULL,
  url              TEXT NOT NULL,
  auth_type        TEXT NOT NULL CHECK (auth_type IN ('none', 'basic', 'bearer')),
  auth_username    TEXT,
  auth_credential  TEXT,             -- Basic password or Bearer token; never printed
  secret           TEXT NOT NULL,    -- signing key; never printed but by show --reveal
  events           TEXT NOT NULL,    -- JSON array of catalog types, or ["*"]
  enabled          INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  removed_at       INTEGER           -- removed definitions keep their row so history stays readable
) STRICT;

CREATE TABLE events (
  seq          INTEGER PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  type         TEXT NOT NULL,
  occurred_at  INTEGER NOT NULL,
  data         TEXT NOT NULL,       -- compact JSON, spliced into bodies as is
  created_at   INTEGER NOT NULL
) STRICT;

-- One row per (event, webhook) send, and one more per replay.
-- While pending, next_attempt_at is when it is due. A claim sets lease_owner and pushes
-- next_attempt_at to the lease's expiry, so a delivery whose serve died becomes due again by
-- itself; every settle is guarded by lease_owner.
CREATE TABLE deliveries (
  seq               INTEGER PRIMARY KEY,
  id                TEXT NOT NULL UNIQUE,
  event_id          TEXT NOT NULL REFERENCES events (id),
  event_type        TEXT NOT NULL,   -- copied from the event (immutable) so history filters need no join
  webhook_id        TEXT NOT NULL REFERENCES webhooks (id),
  status            TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts          INTEGER NOT NULL DEFAULT 0,
  next_attempt_at   INTEGER,
  lease_owner       TEXT,
  last_status_code  INTEGER,
  last_error        TEXT,
  replay_of         TEXT REFERENCES deliveries (id) ON DELETE SET NULL,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  finished_at       INTEGER,
  CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL)),
  CHECK ((status = 'pending') = (finished_at IS NULL))
) STRICT;

-- Due work, per webhook (fair claiming); holds pending rows only, so it stays small.
CREATE INDEX deliveries_by_due ON deliveries (webhook_id, next_attempt_at) WHERE status = 'pending';
-- History, newest first, by each filter the logs command offers.
CREATE INDEX deliveries_by_status ON deliveries (status, seq);
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, seq);
CREATE INDEX deliveries_by_event_type ON deliveries (event_type, seq);
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_by_replay ON deliveries (replay_of) WHERE replay_of IS NOT NULL;

-- Counts kept up to date by every write path of the store (one statement per batch, not per
-- row), so status and /metrics answer in constant time at any history size: deliveries by state,
-- and finished deliveries by hour (for the success rate of the last 24 h).
CREATE TABLE delivery_counts (
  status  TEXT PRIMARY KEY CHECK (status IN ('pending', 'succeeded', 'failed')),
  n       INTEGER NOT NULL
) STRICT;
INSERT INTO delivery_counts (status, n) VALUES ('pending', 0), ('succeeded', 0), ('failed', 0);
CREATE TABLE delivery_outcomes_hourly (
  hour       INTEGER PRIMARY KEY,   -- finished_at / 3,600,000
  succeeded  INTEGER NOT NULL,
  failed     INTEGER NOT NULL
) STRICT;

CREATE TABLE attempts (
  id                INTEGER PRIMARY KEY,
  delivery_seq      INTEGER NOT NULL REFERENCES deliveries (seq) ON DELETE CASCADE,
  attempt           INTEGER NOT NULL,
  started_at        INTEGER NOT NULL,
  duration_ms       INTEGER NOT NULL,
  outcome           TEXT NOT NULL CHECK (outcome IN ('ok', 'http_error', 'timeout', 'network_error', 'tls_error')),
  status_code       INTEGER,
  error             TEXT,
  response_excerpt  TEXT
) STRICT;
CREATE INDEX attempts_by_delivery ON attempts (delivery_seq, attempt);

-- One row per serve process: its heartbeat tells other commands it is alive.
CREATE TABLE serves (
  id            TEXT PRIMARY KEY,
  pid           INTEGER NOT NULL,
  hostname      TEXT NOT NULL,
  listen        TEXT,
  started_at    INTEGER NOT NULL,
  heartbeat_at  INTEGER NOT NULL,
  stopped_at    INTEGER
) STRICT;
`,
  },
  {
    // The status indexes hold only pending and failed rows (queries repeat the condition: see
    // STATUS_INDEXED): a settle to success then writes about a third of the pages it wrote when
    // every succeeded row had entries too. And `logs --failed --webhook X` on a healthy webhook no
    // longer walks every failed delivery of every webhook (0.9 s on a million rows).
    version: 2,
    up: `
DROP INDEX deliveries_by_status;
CREATE INDEX deliveries_by_status ON deliveries (status, seq) WHERE status IN ('pending', 'failed');
CREATE INDEX deliveries_by_webhook_status ON deliveries (webhook_id, status, seq) WHERE status IN ('pending', 'failed');
`,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
