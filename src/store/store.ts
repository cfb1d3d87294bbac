import { createCounts } from './counts.js';
import { createDeliveriesRepo } from './deliveries-repo.js';
import { createEventsRepo } from './events-repo.js';
import { createDurabilitySwitch, openDatabase, type Db } from './open.js';
import { createServesRepo } from './serves-repo.js';
import { createWebhooksRepo } from './webhooks-repo.js';

export interface Store {
  readonly path: string;
  readonly db: Db;
  readonly webhooks: ReturnType<typeof createWebhooksRepo>;
  readonly events: ReturnType<typeof createEventsRepo>;
  readonly deliveries: ReturnType<typeof createDeliveriesRepo>;
  readonly serves: ReturnType<typeof createServesRepo>;
  /** Changes whenever another connection commits: a cheap "is there anything new?" check. */
  dataVersion(): number;
  close(): void;
}

export function openStore(path: string): Store {
  const db = openDatabase(path);
  const dataVersionStmt = db.prepare('PRAGMA data_version').pluck();
  const durability = createDurabilitySwitch(db);
  const strict = () => durability('FULL');
  const counts = createCounts(db);
  return {
    path,
    db,
    webhooks: createWebhooksRepo(db, counts, strict),
    events: createEventsRepo(db, counts, strict),
    deliveries: createDeliveriesRepo(db, counts, durability),
    serves: createServesRepo(db),
    dataVersion: () => dataVersionStmt.get() as number,
    close: () => {
      if (db.open) db.close();
    },
  };
}
