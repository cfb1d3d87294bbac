import { PayloadTooLargeError, ValidationError } from './errors.js';
import { ALL_EVENTS, SUBSCRIBABLE_EVENT_TYPES, TEST_EVENT_TYPE, isSubscribableEventType } from './catalog.js';
import { MAX_EVENT_ID_LENGTH, MAX_NAME_LENGTH, MAX_PAYLOAD_BYTES, MAX_URL_LENGTH } from './limits.js';
import { AUTH_TYPES, type AuthType, type WebhookAuth } from './types.js';

/* Pure checks of user input. Each returns the normalised value or throws a ValidationError whose
 * message names the problem and the next step, and never echoes a secret. */

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export function validateName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0) throw new ValidationError('name is empty: give 1 to 100 characters, e.g. --name "工单通知"');
  const length = [...name].length;
  if (length > MAX_NAME_LENGTH)
    throw new ValidationError(`name is ${length} characters long: the limit is ${MAX_NAME_LENGTH}`);
  if (CONTROL_CHARS.test(name)) throw new ValidationError('name contains control characters: use printable text');
  return name;
}

/** Returns null when the URL is acceptable, else the reason (used while typing in the prompt). */
export function checkUrl(raw: string): string | null {
  const text = raw.trim();
  if (text.length === 0) return 'URL is empty: give an absolute https:// URL, e.g. https://example.com/hooks/zwh';
  if (text.length > MAX_URL_LENGTH) return `URL is longer than ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text.slice(0, 80)}" is not a valid URL: give an absolute https:// URL, e.g. https://example.com/hooks/zwh`;
  }
  if (url.protocol === 'http:') return `plain http is never sent: use https:// instead of http:// (${url.host})`;
  if (url.protocol !== 'https:') return `URL scheme ${url.protocol} is not supported: use an https:// URL`;
  if (!url.hostname) return 'URL has no host: give an absolute https:// URL';
  if (url.username || url.password)
    return 'URL must not carry credentials: use --auth basic with --username and --password';
  return null;
}

export function validateUrl(raw: string): string {
  const problem = checkUrl(raw);
  if (problem) throw new ValidationError(problem);
  return new URL(raw.trim()).toString();
}

/** Parses `a,b` or `*` into a de-duplicated list of catalog types. */
export function validateEvents(raw: string | readonly string[]): string[] {
  const items = (typeof raw === 'string' ? raw.split(',') : [...raw]).map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0)
    throw new ValidationError(`event list is empty: give --events with types from: ${SUBSCRIBABLE_EVENT_TYPES.join(', ')}, or *`);
  if (items.includes(ALL_EVENTS)) return [ALL_EVENTS];
  const out: string[] = [];
  for (const item of items) {
    if (item === TEST_EVENT_TYPE)
      throw new ValidationError(`${TEST_EVENT_TYPE} cannot be subscribed to: it is sent only by zwh test`);
    if (!isSubscribableEventType(item))
      throw new ValidationError(`unknown event type "${item}": valid types are ${SUBSCRIBABLE_EVENT_TYPES.join(', ')}, or *`);
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

export function validateEventType(raw: string): string {
  if (!isSubscribableEventType(raw))
    throw new ValidationError(`unknown event type "${raw}": valid types are ${SUBSCRIBABLE_EVENT_TYPES.join(', ')} (see: zwh events)`);
  return raw;
}

export function validateAuthType(raw: string): AuthType {
  const value = raw.trim().toLowerCase();
  if (!(AUTH_TYPES as readonly string[]).includes(value))
    throw new ValidationError(`unknown auth method "${raw}": use basic, bearer or none`);
  return value as AuthType;
}

/** Header values must not be able to break the request: no control characters. */
function checkCredential(what: string, value: string): void {
  if (value.length === 0) throw new ValidationError(`${what} is empty`);
  if (CONTROL_CHARS.test(value)) throw new ValidationError(`${what} contains control characters`);
}

export function validateAuth(input: {
  type: AuthType;
  username?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
}): WebhookAuth {
  switch (input.type) {
    case 'none':
      return { type: 'none' };
    case 'basic': {
      const username = input.username ?? '';
      const password = input.password ?? '';
      checkCredential('username', username);
      if (username.includes(':')) throw new ValidationError('username must not contain ":" (Basic auth joins user:pass)');
      checkCredential('password', password);
      return { type: 'basic', username, password };
    }
    case 'bearer': {
      const token = input.token ?? '';
      checkCredential('token', token);
      if (/\s/.test(token)) throw new ValidationError('token must not contain spaces');
      return { type: 'bearer', token };
    }
  }
}

export function validateSecret(raw: string): string {
  if (raw.length < 16) throw new ValidationError('signing secret is too short: give at least 16 characters, or leave it out to generate one');
  if (raw.length > 256) throw new ValidationError('signing secret is longer than 256 characters');
  if (/\s/.test(raw) || CONTROL_CHARS.test(raw)) throw new ValidationError('signing secret must not contain spaces or control characters');
  return raw;
}

export function validateEventId(raw: string): string {
  if (raw.length === 0 || raw.length > MAX_EVENT_ID_LENGTH || !/^[A-Za-z0-9_.:-]+$/.test(raw))
    throw new ValidationError(`event id "${raw.slice(0, 60)}" is invalid: use 1 to ${MAX_EVENT_ID_LENGTH} letters, digits, or _ . : -`);
  return raw;
}

/** Checks a payload value and returns its compact JSON text, the form it is stored and sent in. */
export function serializePayload(data: unknown, where = 'data'): string {
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new ValidationError(`${where} must be a JSON object, e.g. {"ticket_id":"T-1"}`);
  const text = JSON.stringify(data);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PAYLOAD_BYTES)
    throw new PayloadTooLargeError(`${where} is ${bytes} bytes: the limit is ${MAX_PAYLOAD_BYTES} bytes (256 KiB)`);
  return text;
}

export function parsePayloadText(text: string, where = 'data'): string {
  if (Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES * 4)
    throw new PayloadTooLargeError(`${where} is larger than the limit of ${MAX_PAYLOAD_BYTES} bytes (256 KiB)`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`${where} is not valid JSON (${(err as Error).message})`);
  }
  return serializePayload(value, where);
}

export function parseTimestamp(raw: unknown, where: string): number {
  if (typeof raw !== 'string') throw new ValidationError(`${where}: timestamp must be an ISO 8601 string`);
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}/.test(raw))
    throw new ValidationError(`${where}: timestamp "${raw.slice(0, 40)}" is not an ISO 8601 date`);
  return ms;
}
