import { hostname } from 'node:os';
import { createDispatcher, type Dispatcher, type DispatcherOptions } from '../dispatch/dispatcher.js';
import type { Sender } from '../dispatch/sender.js';
import { startCheckpointer } from '../store/checkpointer.js';
import type { AppContext } from './context.js';
import { HEARTBEAT_MS } from './status.js';

export interface ServeHandle {
  id: string;
  dispatcher: Dispatcher;
  /** Stop claiming, finish or release in-flight sends within graceMs, mark this serve stopped. */
  stop(graceMs: number): Promise<{ released: number }>;
}

/**
 * Starts the dispatch loop, the heartbeat that tells other commands this serve is alive, and the
 * background checkpointer that keeps WAL checkpoints out of the loop.
 */
export async function startServe(
  ctx: AppContext,
  sender: Sender,
  opts: Omit<DispatcherOptions, 'owner'> & { listen: string | null },
): Promise<ServeHandle> {
  const id = `srv_${hostname()}_${process.pid}_${ctx.clock().toString(36)}`;
  ctx.store.serves.forgetOlderThan(ctx.clock() - 7 * 86_400_000);
  ctx.store.serves.register({ id, pid: process.pid, hostname: hostname(), listen: opts.listen }, ctx.clock());
  const dispatcher = createDispatcher({ store: ctx.store, sender, clock: ctx.clock }, { ...opts, owner: id });
  // Reported through the loop's error event, once the caller has subscribed to it.
  const checkpointer = await startCheckpointer(ctx.store.db, ctx.store.path, (err) => setImmediate(() => dispatcher.emit('error', err)));
  const heartbeat = setInterval(() => {
    try {
      ctx.store.serves.heartbeat(id, ctx.clock());
    } catch (err) {
      dispatcher.emit('error', err as Error);
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  dispatcher.start(); // its first turn comes after the caller has subscribed to its events
  return {
    id,
    dispatcher,
    async stop(graceMs) {
      clearInterval(heartbeat);
      const r = await dispatcher.stop(graceMs);
      ctx.store.serves.markStopped(id, ctx.clock());
      await checkpointer.stop();
      return r;
    },
  };
}
