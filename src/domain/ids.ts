import { randomBytes } from 'node:crypto';

/** Randomness is injected so that tests can make ids predictable without monkeypatching. */
export type RandomSource = (size: number) => Buffer;
export const cryptoRandom: RandomSource = (size) => randomBytes(size);

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

function randomToken(random: RandomSource, length: number): string {
  const bytes = random(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! % ALPHABET.length];
  return out;
}

/**
 * Ids that sort by creation time: a base36 millisecond clock (fixed width) and random tail.
 * Operators read them in logs, so they stay short.
 */
function timeOrderedId(prefix: string, now: number, random: RandomSource): string {
  return prefix + now.toString(36).padStart(9, '0') + randomToken(random, 10);
}

export function newWebhookId(random: RandomSource = cryptoRandom): string {
  return 'wh_' + randomToken(random, 16);
}

export function newEventId(now: number, random: RandomSource = cryptoRandom): string {
  return timeOrderedId('evt_', now, random);
}

export function newDeliveryId(now: number, random: RandomSource = cryptoRandom): string {
  return timeOrderedId('dlv_', now, random);
}

export function newSigningSecret(random: RandomSource = cryptoRandom): string {
  return 'whsec_' + random(32).toString('base64');
}
