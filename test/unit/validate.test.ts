import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseDuration, parseRetrySchedule, parseSince } from '../../src/domain/durations.js';
import { checkUrl, validateEvents, validateName, validateUrl, serializePayload, validateEventId } from '../../src/domain/validate.js';
import { buildSignedBody, sign } from '../../src/dispatch/signing.js';
import { nextStep } from '../../src/dispatch/schedule.js';
import { colorLevel } from '../../src/cli/render.js';
import { VERSION } from '../../src/domain/version.js';
import { ROOT, FIXTURES } from '../helpers/paths.js';
import type { SendResult } from '../../src/domain/types.js';

describe('input checks', () => {
  it('accepts https URLs only', () => {
    assert.equal(validateUrl(' https://crm.example.com/hooks?x=1 '), 'https://crm.example.com/hooks?x=1');
    assert.match(checkUrl('http://a.example.com')!, /plain http is never sent/);
    assert.match(checkUrl('ftp://a.example.com')!, /not supported/);
    assert.match(checkUrl('crm.example.com/hooks')!, /not a valid URL/);
    assert.match(checkUrl('')!, /empty/);
  });

  it('counts name length in characters, not bytes', () => {
    assert.equal(validateName('工'.repeat(100)), '工'.repeat(100));
    assert.throws(() => validateName('工'.repeat(101)), /101 characters/);
    assert.throws(() => validateName('   '), /empty/);
  });

  it('normalises event lists', () => {
    assert.deepEqual(validateEvents('ticket.created, ticket.created,user.updated'), ['ticket.created', 'user.updated']);
    assert.deepEqual(validateEvents('ticket.created,*'), ['*']);
    assert.throws(() => validateEvents(''), /empty/);
  });

  it('bounds payloads at 256 KiB of UTF-8', () => {
    const fits = { s: 'a'.repeat(256 * 1024 - 8) };
    assert.equal(serializePayload(fits).length, 256 * 1024);
    assert.throws(() => serializePayload({ s: '工'.repeat(90_000) }), /limit is 262144/);
  });

  it('checks event ids', () => {
    assert.equal(validateEventId('evt_ticket-1001:v2'), 'evt_ticket-1001:v2');
    assert.throws(() => validateEventId('has space'), /invalid/);
  });

  it('parses durations, --since and retry schedules', () => {
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseSince('2d', 1_000_000_000_000), 1_000_000_000_000 - 2 * 86_400_000);
    assert.equal(parseSince('2024-01-01', 0), Date.parse('2024-01-01'));
    assert.throws(() => parseSince('yesterday', 0), /neither a duration/);
    assert.deepEqual(parseRetrySchedule('1s,5s,30s'), [1_000, 5_000, 30_000]);
  });
});

describe('signing', () => {
  const vector = JSON.parse(readFileSync(join(FIXTURES, 'signature-vector.json'), 'utf8'));

  it('matches the vector computed with Python hmac (the receiver check of the guide)', () => {
    const signed = buildSignedBody({
      eventId: vector.event_id,
      eventType: vector.event,
      occurredAt: Date.parse(vector.timestamp),
      dataJson: vector.data_json,
      secret: vector.secret,
    });
    assert.equal(signed.body, vector.body);
    assert.equal(signed.signature, vector.header_signature);
    assert.equal(sign(vector.secret, Buffer.from(vector.body, 'utf8')), vector.header_signature);
  });

  it('puts in the body the HMAC of the body without its signature field', () => {
    const signed = buildSignedBody({ eventId: 'evt_1', eventType: 'ticket.created', occurredAt: 0, dataJson: '{"a":1}', secret: 'whsec_x' });
    const parsed = JSON.parse(signed.body);
    assert.deepEqual(Object.keys(parsed), ['id', 'event', 'timestamp', 'signature', 'data']);
    const { signature, ...rest } = parsed;
    assert.equal(signature, sign('whsec_x', JSON.stringify(rest)));
  });
});

describe('retry schedule', () => {
  const fail: SendResult = { outcome: 'http_error', statusCode: 500, error: 'HTTP 500', durationMs: 1, responseExcerpt: null };
  const ok: SendResult = { outcome: 'ok', statusCode: 200, error: null, durationMs: 1, responseExcerpt: null };
  const delays = [1_000, 5_000, 30_000];

  it('retries after 1 s, 5 s, 30 s, then fails', () => {
    assert.deepEqual(nextStep(1, fail, 100, delays), { status: 'pending', nextAttemptAt: 1_100 });
    assert.deepEqual(nextStep(2, fail, 100, delays), { status: 'pending', nextAttemptAt: 5_100 });
    assert.deepEqual(nextStep(3, fail, 100, delays), { status: 'pending', nextAttemptAt: 30_100 });
    assert.deepEqual(nextStep(4, fail, 100, delays), { status: 'failed', nextAttemptAt: null });
  });

  it('succeeds on any attempt that got a 2xx', () => {
    assert.deepEqual(nextStep(3, ok, 100, delays), { status: 'succeeded', nextAttemptAt: null });
  });
});

describe('terminal manners', () => {
  it('turns colour off with --no-color, NO_COLOR, or a non-terminal stdout', () => {
    assert.equal(colorLevel({ color: false, env: {}, isTTY: true }), 0);
    assert.equal(colorLevel({ color: true, env: { NO_COLOR: '1' }, isTTY: true }), 0);
    assert.equal(colorLevel({ color: true, env: {}, isTTY: false }), 0);
    assert.ok(colorLevel({ color: true, env: {}, isTTY: true }) > 0);
  });

  it('keeps the version constant equal to package.json', () => {
    assert.equal(VERSION, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });
});
