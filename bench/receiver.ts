/**
 * The loopback HTTPS receiver of the benchmark, in its own process so it does not share a core
 * with what is measured. It counts requests, notes first and last arrival, and (when asked)
 * the latency from each event's body timestamp to its arrival. Driven over IPC by bench/run.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
let count = 0;
let first = 0;
let last = 0;
let latencies: number[] = [];
let marks: number[] = [];
let markAt = new Set<number>();
const waiters: { n: number; id: number }[] = [];
const TS = /"timestamp":"([^"]+)"/;

const server = createServer({ cert: readFileSync(join(fixtures, 'server.pem')), key: readFileSync(join(fixtures, 'server-key.pem')), keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const now = Date.now();
    count++;
    if (count === 1) first = now;
    last = now;
    if (markAt.has(count)) marks.push(now);
    if (latencies.length < 1_000_000) {
      const m = TS.exec(Buffer.concat(chunks).toString('latin1', 0, 200));
      if (m) latencies.push(now - Date.parse(m[1]!));
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (count >= waiters[i]!.n) {
        process.send!({ type: 'reached', id: waiters[i]!.id, count });
        waiters.splice(i, 1);
      }
    }
  });
});

process.on('message', (msg: { cmd: string; n?: number; id?: number; marks?: number[] }) => {
  if (msg.cmd === 'reset') {
    count = 0;
    first = last = 0;
    latencies = [];
    marks = [];
    markAt = new Set(msg.marks ?? []);
    process.send!({ type: 'reset' });
  } else if (msg.cmd === 'stats') {
    process.send!({ type: 'stats', count, first, last, latencies, marks });
  } else if (msg.cmd === 'waitFor') {
    if (count >= msg.n!) process.send!({ type: 'reached', id: msg.id, count });
    else waiters.push({ n: msg.n!, id: msg.id! });
  } else if (msg.cmd === 'exit') {
    server.close();
    process.exit(0);
  }
});

server.listen(0, '127.0.0.1', () => process.send!({ type: 'ready', port: (server.address() as AddressInfo).port }));
