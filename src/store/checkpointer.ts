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
  /** Resolves true when the worker made its last checkpoint and closed, false if it was cut short. */
  stop(): Promise<boolean>;
}

/** Resolves on the worker's first message; rejects if it fails or exits before. */
function whenReady(worker: Worker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (err?: Error) => {
      worker.off('message', onReady).off('error', settle).off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => settle();
    const onExit = (code: number) => settle(new Error(`the checkpoint worker exited (${code}) before it started`));
    // Only these listeners come off: Worker keeps listeners of its own on itself.
    worker.on('message', onReady).on('error', settle).on('exit', onExit);
  });
}

/**
 * Starts the worker. It is an optimisation, never a condition: if the worker cannot start or
 * dies, the error is reported, the connection goes back to SQLite's own checkpoints, and
 * delivery carries on.
 */
export async function startCheckpointer(db: Db, path: string, onError: (err: Error) => void): Promise<Checkpointer> {
  const fallBack = () => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_PAGES}`);
  };
  let worker: Worker;
  try {
    worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { path, intervalMs: INTERVAL_MS } });
    await whenReady(worker);
  } catch (err) {
    onError(new Error(`background checkpoints are off (${(err as Error).message}); SQLite checkpoints as it writes`));
    return { stop: async () => true };
  }
  db.pragma(`wal_autocheckpoint = ${FALLBACK_PAGES}`);
  let alive = true; // until stop() or the worker's death
  let dead = false;
  const died = (err: Error) => {
    if (!alive) return;
    alive = false;
    dead = true;
    fallBack();
    onError(err);
  };
  worker.on('error', (err) => died(new Error(`background checkpoints stopped (${err.message}); SQLite checkpoints as it writes`)));
  worker.on('exit', (code) => died(new Error(`background checkpoints stopped (worker exit ${code}); SQLite checkpoints as it writes`)));
  worker.unref();
  return {
    async stop() {
      if (!alive) return !dead;
      alive = false;
      const stopped = new Promise<boolean>((resolve) => {
        worker.once('message', (msg) => resolve(msg === 'stopped'));
        worker.once('exit', () => resolve(false));
      });
      worker.ref(); // unref'd while it runs; the last checkpoint is worth waiting for
      worker.postMessage('stop');
      const clean = await Promise.race([stopped, new Promise<boolean>((r) => setTimeout(() => r(false), 2_000).unref())]);
      await worker.terminate();
      fallBack();
      return clean;
    },
  };
}
