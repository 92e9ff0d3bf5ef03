// The functions that took the most self time in a V8 CPU profile (.cpuprofile),
// as text: what `--cpu-prof` prints after each measurement, and a command:
//
//   npx tsx tests/bench/profile-top.ts bench-profiles/fanout-1000-ours-tcp-sqlite-r1.cpuprofile [N]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (name, file, line) as a share of the busy (non-idle) time, largest first, `n` lines. */
export function topSelfTime(file: string, n = 15): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') return;
    const where = frame.url.replace(/^.*?\/(node_modules|server|tests)\//, '$1/').replace(/^file:\/\//, '');
    const key = `${frame.functionName || '(anonymous)'} ${where}${where ? `:${frame.lineNumber + 1}` : ''}`;
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    busy += dt;
  });
  const lines = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, t]) => `    ${((100 * t) / Math.max(busy, 1)).toFixed(1).padStart(5)}%  ${key}`);
  return [`    busy ${(busy / 1e6).toFixed(2)} s`, ...lines].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: tsx tests/bench/profile-top.ts FILE.cpuprofile [N]\n');
    process.exit(2);
  }
  process.stdout.write(`${topSelfTime(file, n ? Number(n) : 15)}\n`);
}
