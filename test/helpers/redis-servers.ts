import { ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from './free-port';

/**
 * redis-server processes of a test's own (a Sentinel, a replica, a cluster's nodes), on free ports,
 * with their configuration in `dir`, so the shared Redis is never failed over or reconfigured.
 */
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server';

export interface RedisServer {
  port: number;
  proc: ChildProcess;
  log: () => string;
}

export async function startRedis(dir: string, name: string, args: string[], configLines: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const conf = join(dir, `${name}.conf`);
  // Sentinel rewrites its configuration file as it learns the topology: it must be a writable file.
  writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', 'save ""', 'appendonly no', `dir ${dir}`, ...configLines, ''].join('\n'));
  const proc = spawn(REDIS_SERVER, [conf, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const spawnError = new Promise<never>((_, reject) => proc.once('error', (err) => reject(new Error(`${REDIS_SERVER} (set REDIS_SERVER_BIN): ${err.message}`))));
  const ping = async (): Promise<void> => {
    for (let i = 0; i < 100; i++) {
      const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await c.connect();
        await c.ping();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        c.disconnect();
      }
    }
    throw new Error(`${name} did not answer on ${port}: ${out.slice(-2000)}`);
  };
  await Promise.race([ping(), spawnError]);
  return { port, proc, log: () => out };
}

export async function stopRedis(s: RedisServer | undefined): Promise<void> {
  if (!s || s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGKILL');
  await exited;
}

