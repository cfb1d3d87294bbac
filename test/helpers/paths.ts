import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/…). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'zwh.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures');
export const CA_FILE = join(FIXTURES, 'ca.pem');

/** A fresh temp folder with a database path in it; removed by the returned cleanup. */
export function tempDb(): { dir: string; db: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'zwh-test-'));
  return { dir, db: join(dir, 'zwh.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
