/**
 * The body of the background checkpointer (see checkpointer.ts): its own connection to the
 * database, copying the WAL into the main file every few hundred milliseconds. A PASSIVE
 * checkpoint never waits for the writer, and the writer never waits for it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const db = new Database(path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
// NORMAL: the WAL is flushed to disk before it is copied, and the main file after.
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');

function checkpoint(): void {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or locked: the next turn tries again, and the writer's own fallback remains.
  }
}

const timer = setInterval(checkpoint, intervalMs);
parentPort!.on('message', (msg: string) => {
  if (msg !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort!.postMessage('stopped');
});
parentPort!.postMessage('ready');
