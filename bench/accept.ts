/**
 * npm run bench:accept — how fast a bare Node HTTP server, with no framework and no database,
 * accepts new connections while its event loop is saturated: the limit behind the timeouts that
 * `bench:api` sees at 1,000 connections on every route, the constant one included.
 *
 * A child process serves every request after BENCH_BUSY_MS of CPU (0.6 ms: what the API's
 * constant route costs) and counts the connections it accepted; autocannon, in this process, opens
 * BENCH_CONNECTIONS keep-alive connections at once and keeps each busy for BENCH_DURATION seconds.
 * Printed every 2 s: connections accepted and requests served so far; then requests/s, p99, the
 * requests that timed out (10 s) and how many of the connections were ever answered.
 *
 * Environment: BENCH_CONNECTIONS [1000], BENCH_DURATION [20], BENCH_BUSY_MS [0.6], BENCH_BACKLOG
 * [4096], BENCH_NODE [this Node]: another node binary for the server (to compare versions).
 */
import { spawn } from 'node:child_process';
import { emit, freePort } from './bench-helpers';

// autocannon ships no types; the part of its programmatic API used here.
interface Result {
  requests: { average: number };
  latency: { p50: number; p99: number };
  timeouts: number;
  errors: number;
}
interface Instance extends PromiseLike<Result> {
  on(event: 'response', listener: (client: unknown) => void): this;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- autocannon ships no types
const autocannon = require('autocannon') as (opts: { url: string; connections: number; duration: number; timeout: number }) => Instance;

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 1000);
const DURATION = Number(process.env.BENCH_DURATION ?? 20);
const BUSY_MS = Number(process.env.BENCH_BUSY_MS ?? 0.6);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 4096);
const NODE = process.env.BENCH_NODE ?? process.execPath;

const SERVER = `
const http = require('http');
let conns = 0, reqs = 0;
const busy = ${BUSY_MS};
const s = http.createServer((req, res) => {
  reqs++;
  const t = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - t) / 1e6 < busy);
  res.setHeader('content-type', 'application/json');
  res.end('{"ok":true}');
});
s.on('connection', () => conns++);
s.listen(Number(process.env.PORT), '127.0.0.1', ${BACKLOG}, () => process.send({ up: true }));
process.on('message', () => process.send({ conns, reqs }));
`;

async function main(): Promise<void> {
  const port = await freePort();
  const server = spawn(NODE, ['-e', SERVER], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const version = await new Promise<string>((resolve) => {
    const v = spawn(NODE, ['-p', 'process.version + " libuv " + process.versions.uv'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    v.stdout.on('data', (d: Buffer) => (out += d.toString()));
    v.on('exit', () => resolve(out.trim()));
  });
  await new Promise<void>((resolve) => server.once('message', () => resolve()));
  emit({ step: 'setup', server_node: version, connections: CONNECTIONS, duration_s: DURATION, busy_ms: BUSY_MS, backlog: BACKLOG });
  const counts = (): Promise<{ conns: number; reqs: number }> =>
    new Promise((resolve) => {
      server.once('message', (m) => resolve(m as { conns: number; reqs: number }));
      server.send('count');
    });

  const answered = new Set<unknown>();
  const t0 = performance.now();
  const inst = autocannon({ url: `http://127.0.0.1:${port}/`, connections: CONNECTIONS, duration: DURATION, timeout: 10 });
  inst.on('response', (client) => answered.add(client));
  const timer = setInterval(() => {
    void counts().then((c) => emit({ step: 'progress', s: Math.round((performance.now() - t0) / 1000), accepted: c.conns, requests: c.reqs, connections_answered: answered.size }));
  }, 2000);
  const r = await inst;
  clearInterval(timer);
  const end = await counts();
  server.kill();
  emit({
    summary: true,
    server_node: version,
    connections: CONNECTIONS,
    req_s: Math.round(r.requests.average),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    timeouts: r.timeouts,
    connections_ever_answered: answered.size,
    connections_accepted_by_server: end.conns,
  });
}

main()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
