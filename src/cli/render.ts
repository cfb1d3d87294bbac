/** Colour and tables: the only module that imports chalk and cli-table3. */
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { formatDuration } from '../domain/durations.js';

export interface Render {
  c: ChalkInstance;
  table(head: string[], rows: (string | number)[][], colWidths?: (number | null)[]): string;
  status(status: string): string;
}

/** Colour is off with --no-color, with NO_COLOR set, or when stdout is not a terminal. */
export function colorLevel(opts: { color: boolean; env: NodeJS.ProcessEnv; isTTY: boolean }): 0 | 1 | 2 | 3 {
  if (!opts.color || !opts.isTTY) return 0;
  if (opts.env.NO_COLOR !== undefined && opts.env.NO_COLOR !== '') return 0;
  if (opts.env.COLORTERM === 'truecolor' || opts.env.COLORTERM === '24bit') return 3;
  if ((opts.env.TERM ?? '').includes('256')) return 2;
  return 1;
}

export function createRender(level: 0 | 1 | 2 | 3): Render {
  const c = new Chalk({ level });
  return {
    c,
    table(head, rows, colWidths) {
      const t = new Table({
        head: head.map((h) => c.bold(h)),
        style: { head: [], border: level === 0 ? [] : ['grey'], compact: true },
        wordWrap: true,
        ...(colWidths ? { colWidths } : {}),
      });
      for (const r of rows) t.push(r.map(String));
      return t.toString();
    },
    status(status) {
      if (status === 'succeeded' || status === 'ok') return c.green(status);
      if (status === 'failed') return c.red(status);
      if (status === 'pending') return c.yellow(status);
      return status;
    },
  };
}

export function iso(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '' : new Date(ms).toISOString();
}

/** "3m ago" for a time in the past. */
export function ago(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined) return '';
  const d = now - ms;
  return d < 0 ? 'in ' + formatDuration(-d) : formatDuration(d) + ' ago';
}

/** "now", "12s", "3m", "2h", "4d": the age column of tables. */
export function age(ms: number, now: number): string {
  const d = now - ms;
  return d < 1_000 ? 'now' : formatDuration(d);
}

export function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, max - 1).join('') + '…';
}

/** One line, printable, for response excerpts. */
export function oneLine(s: string | null | undefined, max = 120): string {
  if (!s) return '';
  return truncate(s.replace(/\s+/g, ' ').trim(), max);
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Terminal columns a string takes: CJK and full-width characters take two. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s.replace(ANSI, '')) {
    const cp = ch.codePointAt(0)!;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

/** Cuts to at most `width` columns (with … when cut) and pads to exactly `width`. */
export function fit(s: string, width: number): string {
  if (displayWidth(s) > width) {
    let out = '';
    for (const ch of s.replace(ANSI, '')) {
      if (displayWidth(out + ch) > width - 1) break;
      out += ch;
    }
    s = out + '…';
  }
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}
