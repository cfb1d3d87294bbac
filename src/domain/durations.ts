import { ValidationError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `500ms`, `30s`, `5m`, `1h`, `2d`, `1w` → milliseconds. */
export function parseDuration(raw: string, what = 'duration'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(raw.trim());
  if (!match) throw new ValidationError(`${what} "${raw}" is not a duration: use e.g. 30s, 15m, 1h, 2d`);
  return Math.round(Number(match[1]) * UNITS[match[2]!]!);
}

/** `--since 1h` (relative to now) or `--since 2024-01-01` (absolute) → unix ms. */
export function parseSince(raw: string, now: number): number {
  const text = raw.trim();
  if (/^\d+(?:\.\d+)?(ms|s|m|h|d|w)$/.test(text)) return now - parseDuration(text, '--since');
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ms;
  }
  throw new ValidationError(`--since "${raw}" is neither a duration (1h, 2d) nor a date (2024-01-01)`);
}

export function parseRetrySchedule(raw: string): number[] {
  const parts = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0 || parts.length > 20)
    throw new ValidationError(`--retry-schedule "${raw}" must list 1 to 20 delays, e.g. 1s,5s,30s`);
  return parts.map((p) => parseDuration(p, '--retry-schedule delay'));
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h`;
  return `${Math.floor(ms / 86_400_000)}d`;
}
