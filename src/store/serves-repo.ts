import type { Db } from './open.js';

export interface ServeRow {
  id: string;
  pid: number;
  hostname: string;
  listen: string | null;
  started_at: number;
  heartbeat_at: number;
  stopped_at: number | null;
}

/** Heartbeats of serve processes: how other commands know whether anything is delivering. */
export function createServesRepo(db: Db) {
  const registerStmt = db.prepare(`
    INSERT INTO serves (id, pid, hostname, listen, started_at, heartbeat_at) VALUES (@id, @pid, @hostname, @listen, @now, @now)`);
  const beatStmt = db.prepare('UPDATE serves SET heartbeat_at = ? WHERE id = ?');
  const stopStmt = db.prepare('UPDATE serves SET stopped_at = ?, heartbeat_at = ? WHERE id = ?');
  const aliveStmt = db.prepare<[number], ServeRow>(
    'SELECT * FROM serves WHERE stopped_at IS NULL AND heartbeat_at >= ? ORDER BY started_at',
  );
  const forgetStmt = db.prepare('DELETE FROM serves WHERE heartbeat_at < ?');
  return {
    register(row: { id: string; pid: number; hostname: string; listen: string | null }, now: number): void {
      registerStmt.run({ ...row, now });
    },
    heartbeat(id: string, now: number): void {
      beatStmt.run(now, id);
    },
    markStopped(id: string, now: number): void {
      stopStmt.run(now, now, id);
    },
    alive(since: number): ServeRow[] {
      return aliveStmt.all(since);
    },
    /** Drops rows of serves silent for long; they only mattered while they could be alive. */
    forgetOlderThan(before: number): void {
      forgetStmt.run(before);
    },
  };
}

export type ServesRepo = ReturnType<typeof createServesRepo>;
