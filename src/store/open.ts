import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseTooNewError, DatabaseUnusableError } from '../domain/errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

/** 'zwh\x01': marks the file as ours, so a foreign SQLite file is refused rather than altered. */
export const APPLICATION_ID = 0x7a776801;
export const BUSY_TIMEOUT_MS = 5_000;

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ?? e.message ?? String(err);
}

/**
 * Opens (creating when missing) a zwh database: mode 0600 in a 0700 folder, WAL, a busy timeout,
 * foreign keys, migrations applied. Every failure is a DatabaseUnusableError naming the file.
 */
export function openDatabase(path: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  let exists = true;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DatabaseUnusableError(`database ${path} is not a file: check --db or ZWH_DB`);
  } catch (err) {
    if (err instanceof DatabaseUnusableError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new DatabaseUnusableError(`cannot read database ${path} (${describe(err)}): check its permissions`, err);
    exists = false;
  }
  if (!exists) {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Create the file ourselves so it is born 0600; SQLite gives -wal and -shm the same mode.
      closeSync(openSync(path, 'wx', 0o600));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new DatabaseUnusableError(`cannot create database ${path} (${describe(err)}): check the folder`, err);
    }
  }

  let db: Db;
  try {
    db = new Database(path, { fileMustExist: true });
  } catch (err) {
    throw new DatabaseUnusableError(`cannot open database ${path} (${describe(err)}): check --db or ZWH_DB`, err);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}`);
    // FULL: a commit is on disk before emit or the intake answers, even across a power cut.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, path, migrations);
  } catch (err) {
    db.close();
    if (err instanceof DatabaseTooNewError || err instanceof DatabaseUnusableError) throw err;
    throw new DatabaseUnusableError(
      `database ${path} is unreadable or corrupt (${describe(err)}): check --db, or restore it from a backup`,
      err,
    );
  }
  return db;
}

export function migrate(db: Db, path: string, migrations: readonly Migration[] = MIGRATIONS): void {
  const latest = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version <= migrations[i - 1]!.version) throw new Error('migrations must only go up');
  }
  const run = db.transaction(() => {
    const appId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (appId !== APPLICATION_ID) {
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number };
      if (appId !== 0 || version !== 0 || tables.n > 0)
        throw new DatabaseUnusableError(`${path} is not a zwh database: choose another file with --db`);
      db.pragma(`application_id = ${APPLICATION_ID}`);
    }
    if (version > latest)
      throw new DatabaseTooNewError(
        `database ${path} was written by a newer zwh (schema ${version}, this zwh knows ${latest}): upgrade zwh`,
      );
    for (const m of migrations) {
      if (m.version <= version) continue;
      db.exec(m.up);
      db.pragma(`user_version = ${m.version}`);
    }
  });
  run.immediate();
}


export type Durability = 'FULL' | 'NORMAL';

/**
 * Switches PRAGMA synchronous between transactions (it cannot change inside one). FULL makes a
 * commit survive a power cut: events are recorded that way, since the caller is told they are
 * safe. Delivery bookkeeping (claims, settles) commits with NORMAL — still safe against any
 * process crash in WAL mode; a power cut can only lose the latest outcomes, and those deliveries
 * are then sent again, which at-least-once allows.
 */
export function createDurabilitySwitch(db: Db): (mode: Durability) => void {
  let current: Durability = 'FULL';
  return (mode) => {
    if (mode === current) return;
    db.pragma(`synchronous = ${mode}`);
    current = mode;
  };
}
