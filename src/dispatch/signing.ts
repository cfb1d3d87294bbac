import { createHmac } from 'node:crypto';

/** `sha256=` + hex HMAC-SHA256 keyed with the secret's UTF-8 bytes — what receivers recompute. */
export function sign(secret: string, body: string | Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

export interface SignedBody {
  /** The exact bytes sent; the X-Zwh-Signature header is computed over these. */
  body: string;
  signature: string;
}

/**
 * Builds the wire body of SPEC §4 by splicing stored JSON text, never re-parsing the payload:
 * `{"id","event","timestamp","signature","data"}`. The body's own `signature` field is the HMAC of
 * the same body serialized without that field; the header signs the whole body as sent.
 */
export function buildSignedBody(p: { eventId: string; eventType: string; occurredAt: number; dataJson: string; secret: string }): SignedBody {
  const head = '{"id":' + JSON.stringify(p.eventId) + ',"event":' + JSON.stringify(p.eventType) +
    ',"timestamp":"' + new Date(p.occurredAt).toISOString() + '"';
  const inner = sign(p.secret, head + ',"data":' + p.dataJson + '}');
  const body = head + ',"signature":"' + inner + '","data":' + p.dataJson + '}';
  return { body, signature: sign(p.secret, body) };
}
