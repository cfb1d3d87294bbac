/**
 * Moves WAL checkpoints off the dispatch loop. By default SQLite checkpoints inside the commit
 * that crosses 1,000 WAL pages: the loop then stops to copy pages into the main file and flush it
 * twice, which at full speed was ~15 µs a delivery of the loop's time. serve runs them on a worker
 * thread with its own connection instead; the loop's connection keeps a much higher threshold
 * (FALLBACK_PAGES) in case the worker falls behind or dies.
 */
import { Worker } from 'node:worker_threads';
import type { Db } from './open.js';

const INTERVAL_MS = 200;
const FALLBACK_PAGES = 20_000;
const DEFAULT_PAGES = 1_000;

export interface Checkpointer {
  stop(): Promise<void>;
}

export async function startCheckpointer(db: Db, path: string, onError: (err: Error) => void): Promise<Checkpointer> {
  const worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { path, intervalMs: INTERVAL_MS } });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  db.pragma(`wal_autocheckpoint = ${FALLBACK_PAGES}`);
  let alive = true;
  worker.on('error', (err) => {
    alive = false;
    db.pragma(`wal_autocheckpoint = ${DEFAULT_PAGES}`);
    onError(err);
  });
  worker.unref();
  return {
    async stop() {
      if (!alive) return;
      alive = false;
      const stopped = new Promise<void>((resolve) => {
        worker.once('message', () => resolve());
        worker.once('exit', () => resolve());
      });
      worker.postMessage('stop');
      await Promise.race([stopped, new Promise<void>((r) => setTimeout(r, 2_000).unref())]);
      await worker.terminate();
      if (db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_PAGES}`);
    },
  };
}
