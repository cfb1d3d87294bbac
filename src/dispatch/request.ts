import type { ClaimedDelivery } from '../store/deliveries-repo.js';
import { buildSignedBody } from './signing.js';
import type { SendRequest } from './sender.js';

export function authorizationHeader(
  authType: 'none' | 'basic' | 'bearer',
  username: string | null,
  credential: string | null,
): string | undefined {
  if (authType === 'basic') return 'Basic ' + Buffer.from(`${username ?? ''}:${credential ?? ''}`, 'utf8').toString('base64');
  if (authType === 'bearer') return 'Bearer ' + (credential ?? '');
  return undefined;
}

/** The request of SPEC §4 for one attempt of one delivery. */
export function buildRequest(d: ClaimedDelivery, userAgent: string, sentAtMs: number): SendRequest {
  const { body, signature } = buildSignedBody({
    eventId: d.eventId,
    eventType: d.eventType,
    occurredAt: d.occurredAt,
    dataJson: d.dataJson,
    secret: d.secret,
  });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': userAgent,
    'x-zwh-signature': signature,
    'x-zwh-event': d.eventType,
    'x-zwh-event-id': d.eventId,
    'x-zwh-delivery-id': d.id,
    'x-zwh-attempt': String(d.attempt),
    'x-zwh-timestamp': String(Math.floor(sentAtMs / 1000)),
  };
  const auth = authorizationHeader(d.authType, d.authUsername, d.authCredential);
  if (auth) headers['authorization'] = auth;
  return { url: d.url, headers, body };
}
