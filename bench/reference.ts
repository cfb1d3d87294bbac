/**
 * The reference: undici alone sending the same signed requests zwh sends (same body, same
 * headers, same concurrency, keep-alive), nothing recorded. What the machine can do at most.
 *   node dist/bench/reference.js <url> <total> <concurrency> <ca-file>
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { buildSignedBody } from '../src/dispatch/signing.js';

const [url, totalRaw, concurrencyRaw, caFile] = process.argv.slice(2);
const total = Number(totalRaw);
const concurrency = Number(concurrencyRaw);
const agent = new Agent({ connections: concurrency, pipelining: 1, connect: { ca: readFileSync(caFile!, 'utf8') } });
const target = new URL(url!);
const data = JSON.stringify({ ticket_id: 'T-1001', subject: '打印机坏了', priority: 'high', n: 0 });
let next = 0;

async function worker(): Promise<void> {
  while (next < total) {
    const i = next++;
    const { body, signature } = buildSignedBody({ eventId: `evt_ref_${i}`, eventType: 'ticket.created', occurredAt: Date.now(), dataJson: data, secret: 'whsec_reference_secret' });
    const res = await agent.request({
      origin: target.origin,
      path: target.pathname,
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json', 'user-agent': 'zwh/bench', 'x-zwh-signature': signature, 'x-zwh-event': 'ticket.created',
        'x-zwh-event-id': `evt_ref_${i}`, 'x-zwh-delivery-id': `dlv_ref_${i}`, 'x-zwh-attempt': '1', 'x-zwh-timestamp': String(Math.floor(Date.now() / 1000)),
      },
    });
    await res.body.text();
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
await agent.close();
