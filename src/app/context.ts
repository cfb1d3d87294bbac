import type { RandomSource } from '../domain/ids.js';
import type { Clock } from '../domain/types.js';
import type { Store } from '../store/store.js';

/** What every use case needs; time and randomness are injected so tests control them. */
export interface AppContext {
  store: Store;
  clock: Clock;
  random: RandomSource;
}
