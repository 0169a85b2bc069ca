import { readFileSync } from 'node:fs';
import { ROOT } from './bench-helpers';

/** V8 CPU profiles (--cpu-prof) of a bench's processes, summarized over a time window. */

const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The top self-time functions and packages of a CPU profile, counting only samples in [fromUs, toUs] (CLOCK_MONOTONIC, as V8 stamps them). */
export function summarizeProfile(file: string, fromUs: number, toUs: number): Record<string, unknown> {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  let t = prof.startTime;
  let inWindow = 0;
  prof.samples.forEach((id, i) => {
    t += prof.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) return;
    inWindow++;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i + 1] ?? 0));
  });
  const total = [...selfUs.values()].reduce((x, y) => x + y, 0);
  const pkgOf = (url: string, name: string): string => {
    const nm = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
    if (nm) return nm[1];
    const app = /(?:bench-build-[a-z-]+\/)?src\/(.+)$/.exec(url);
    if (app && !url.startsWith('node:')) return `app: src/${app[1].replace(/\.(js|ts)$/, '')}`;
    if (name === '(idle)') return '(idle)';
    if (name === '(garbage collector)') return '(gc)';
    if (name === '(program)') return '(program)';
    return url ? `node core: ${url.replace(/^node:/, '')}` : `native: ${name}`;
  };
  /** The nearest package or app file on the stack: whose work a node-core or native frame was doing. */
  const callerOf = (id: number): string => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      const p = pkgOf(f.url, f.functionName);
      if (!p.startsWith('node core') && !p.startsWith('native') && !p.startsWith('(')) return p;
    }
    const f = byId.get(id)!.callFrame.functionName;
    return ['(idle)', '(garbage collector)', '(program)'].includes(f) ? f : 'node core, no package on the stack';
  };
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  const byCaller = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, us: number): void => {
    m.set(k, (m.get(k) ?? 0) + us);
  };
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    const url = f.url.replace(`file://${ROOT}/`, '').replace(`${ROOT}/`, '');
    add(byFn, `${f.functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}` : ''}`.trim(), us);
    add(byPkg, pkgOf(url, f.functionName), us);
    add(byCaller, callerOf(id), us);
  }
  const top = (m: Map<string, number>, k: number): Record<string, number> =>
    Object.fromEntries(
      [...m.entries()]
        .sort((x, y) => y[1] - x[1])
        .slice(0, k)
        .map(([name, us]) => [name, round((us / total) * 100, 1)]),
    );
  return { samples: inWindow, profile_ms: Math.round(total / 1000), self_pct_by_package: top(byPkg, 15), pct_by_nearest_package_on_stack: top(byCaller, 15), self_pct_top_functions: top(byFn, 25) };
}
