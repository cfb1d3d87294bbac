import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths.js';

/** cli | intake → app → dispatch → store → domain; never upward. */
const ALLOWED: Record<string, string[]> = {
  cli: ['cli', 'intake', 'app', 'dispatch', 'store', 'domain'],
  intake: ['intake', 'app', 'dispatch', 'store', 'domain'],
  app: ['app', 'dispatch', 'store', 'domain'],
  dispatch: ['dispatch', 'store', 'domain'],
  store: ['store', 'domain'],
  domain: ['domain'],
};
const FORBIDDEN_PACKAGES: Record<string, string[]> = {
  dispatch: ['chalk', 'commander', '@inquirer/prompts', 'cli-table3'],
  store: ['chalk', 'commander', '@inquirer/prompts', 'cli-table3', 'undici'],
  domain: ['chalk', 'commander', '@inquirer/prompts', 'cli-table3', 'undici', 'better-sqlite3'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('module layering', () => {
  const src = join(ROOT, 'src');
  it('imports only downward, and keeps terminal and process concerns out of the core', () => {
    const problems: string[] = [];
    for (const file of files(src)) {
      const layer = relative(src, file).split('/')[0]!;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from '([^']+)'/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) {
          const target = relative(src, join(file, '..', spec)).split('/')[0]!;
          if (!ALLOWED[layer]!.includes(target)) problems.push(`${relative(ROOT, file)} imports ${spec} (${layer} → ${target})`);
        } else if (FORBIDDEN_PACKAGES[layer]?.includes(spec)) {
          problems.push(`${relative(ROOT, file)} imports ${spec}`);
        }
      }
      if ((layer === 'dispatch' || layer === 'store' || layer === 'domain') && /\bprocess\.(exit|on|stdout|stderr|argv|exitCode)\b/.test(text))
        problems.push(`${relative(ROOT, file)} touches process`);
      if (layer !== 'cli' && /@inquirer\/prompts/.test(text)) problems.push(`${relative(ROOT, file)} imports inquirer`);
    }
    assert.deepEqual(problems, []);
  });

  it('keeps SQL in store/', () => {
    const problems = files(src)
      .filter((f) => !relative(src, f).startsWith('store/'))
      .filter((f) => /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    assert.deepEqual(problems, []);
  });
});
