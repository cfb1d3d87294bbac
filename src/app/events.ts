import { TEST_EVENT_TYPE } from '../domain/catalog.js';
import { ValidationError } from '../domain/errors.js';
import { newDeliveryId, newEventId } from '../domain/ids.js';
import type { EventRecord } from '../domain/types.js';
import { parsePayloadText, parseTimestamp, serializePayload, validateEventId, validateEventType } from '../domain/validate.js';
import type { RecordedEvent } from '../store/events-repo.js';
import type { AppContext } from './context.js';

/** Events per transaction for bulk intake: large enough to amortise the commit, small enough not to hold the lock for long. */
export const EMIT_CHUNK = 5_000;

export interface EventInput {
  type: string;
  /** Compact JSON text of the payload (already checked), or undefined for {}. */
  dataJson?: string | undefined;
  id?: string | undefined;
  occurredAt?: number | undefined;
}

function toRecord(ctx: AppContext, input: EventInput, now: number): EventRecord {
  return {
    id: input.id ?? newEventId(now, ctx.random),
    type: input.type,
    occurredAt: input.occurredAt ?? now,
    dataJson: input.dataJson ?? '{}',
  };
}

/** Checks one event given as a JSON value (an NDJSON line or an intake body item). */
export function parseEventObject(value: unknown, where: string): EventInput {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ValidationError(`${where}: expected an object like {"event":"ticket.created","data":{}}`);
  const o = value as Record<string, unknown>;
  if (typeof o.event !== 'string') throw new ValidationError(`${where}: "event" is missing or not a string`);
  if (o.event === TEST_EVENT_TYPE) throw new ValidationError(`${where}: ${TEST_EVENT_TYPE} is sent only by zwh test`);
  let type: string;
  try {
    type = validateEventType(o.event);
  } catch (err) {
    throw new ValidationError(`${where}: ${(err as Error).message}`);
  }
  const known = new Set(['event', 'data', 'id', 'timestamp']);
  const extra = Object.keys(o).find((k) => !known.has(k));
  if (extra !== undefined) throw new ValidationError(`${where}: unknown field "${extra}" (fields: event, data, id, timestamp)`);
  const dataJson = o.data === undefined ? '{}' : serializePayload(o.data, `${where}: data`);
  let id: string | undefined;
  if (o.id !== undefined) {
    if (typeof o.id !== 'string') throw new ValidationError(`${where}: "id" must be a string`);
    try {
      id = validateEventId(o.id);
    } catch (err) {
      throw new ValidationError(`${where}: ${(err as Error).message}`);
    }
  }
  const occurredAt = o.timestamp === undefined ? undefined : parseTimestamp(o.timestamp, where);
  return { type, dataJson, id, occurredAt };
}

/** Checks `zwh emit <type> --data … --id …`. */
export function parseEmitArgs(type: string, dataText: string | undefined, id: string | undefined): EventInput {
  if (type === TEST_EVENT_TYPE) throw new ValidationError(`${TEST_EVENT_TYPE} is sent only by zwh test (see: zwh test <id>)`);
  return {
    type: validateEventType(type),
    dataJson: dataText === undefined ? '{}' : parsePayloadText(dataText, '--data'),
    id: id === undefined ? undefined : validateEventId(id),
  };
}

/** Checks every line first; a bad line throws with its number and nothing is recorded. */
export function parseNdjson(text: string): EventInput[] {
  const out: EventInput[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new ValidationError(`line ${i + 1}: not valid JSON (${(err as Error).message}); nothing was recorded`);
    }
    try {
      out.push(parseEventObject(value, `line ${i + 1}`));
    } catch (err) {
      throw new ValidationError(`${(err as Error).message}; nothing was recorded`);
    }
  }
  if (out.length === 0) throw new ValidationError('no events found: give one JSON object per line');
  return out;
}

/** Records events, one delivery per enabled subscriber each, in transactions of EMIT_CHUNK. */
export function recordEvents(ctx: AppContext, inputs: readonly EventInput[], onProgress?: (done: number) => void): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  for (let i = 0; i < inputs.length; i += EMIT_CHUNK) {
    const now = ctx.clock();
    const chunk = inputs.slice(i, i + EMIT_CHUNK).map((e) => toRecord(ctx, e, now));
    out.push(...ctx.store.events.record(chunk, now, () => newDeliveryId(now, ctx.random)));
    onProgress?.(Math.min(i + EMIT_CHUNK, inputs.length));
  }
  return out;
}

/** Records all events in a single transaction (an intake array): all are accepted, or none. */
export function recordEventsAtomically(ctx: AppContext, inputs: readonly EventInput[]): RecordedEvent[] {
  const now = ctx.clock();
  return ctx.store.events.record(inputs.map((e) => toRecord(ctx, e, now)), now, () => newDeliveryId(now, ctx.random));
}
