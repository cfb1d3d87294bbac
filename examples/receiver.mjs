#!/usr/bin/env node
// A minimal receiver for trying zwh locally: HTTPS on 127.0.0.1:8443 with the test certificates,
// checks X-Zwh-Signature with the secret given in ZWH_SECRET, and prints each event.
//   ZWH_SECRET=whsec_… node examples/receiver.mjs
// zwh must trust the test CA: NODE_EXTRA_CA_CERTS=test/fixtures/ca.pem (or serve --ca-file).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const fixtures = new URL('../test/fixtures/', import.meta.url);
const secret = process.env.ZWH_SECRET ?? '';
const port = Number(process.env.PORT ?? 8443);

function verify(raw, header) {
  const expected = Buffer.from('sha256=' + createHmac('sha256', secret).update(raw).digest('hex'));
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

createServer({ cert: readFileSync(new URL('server.pem', fixtures)), key: readFileSync(new URL('server-key.pem', fixtures)) }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const ok = verify(raw, req.headers['x-zwh-signature']);
    const event = JSON.parse(raw.toString('utf8'));
    console.log(`${ok ? 'verified' : 'BAD SIGNATURE'} ${req.headers['x-zwh-event']} ${event.id} attempt ${req.headers['x-zwh-attempt']}`, JSON.stringify(event.data));
    res.writeHead(ok ? 200 : 401).end(ok ? 'ok' : 'bad signature');
  });
}).listen(port, '127.0.0.1', () => console.log(`listening on https://127.0.0.1:${port}/hooks`));
