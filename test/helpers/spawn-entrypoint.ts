import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor: (pattern: RegExp, ms?: number) => Promise<void>;
}

const ROOT = join(__dirname, '..', '..');

/** Starts src/main.ts or src/worker.ts as its own process (ts-node, transpile only). */
export function spawnEntrypoint(entry: 'main' | 'worker', env: Record<string, string | undefined>): Spawned {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src', `${entry}.ts`)], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const waitFor = async (pattern: RegExp, ms = 30_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!pattern.test(out)) {
      if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before ${pattern}: ${out.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${out.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, output: () => out, exited, waitFor };
}
