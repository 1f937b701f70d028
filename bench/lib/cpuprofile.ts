// Reads a V8 .cpuprofile (node --cpu-prof): self time per function (name, file, line) and per file, as shares of the
// sampled time, so a profile's reading fits in a README table.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in µs per node id: each sample's time delta belongs to the node sampled. */
function selfTimes(p: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  return self;
}

const short = (url: string) => url.replace(/^file:\/\/.*?\/(dist|node_modules|bench|src)\//, '$1/').replace(/^node:/, 'node:');

/** Self time grouped by `key`, largest first, as `share %  ms  key` lines. */
function table(p: CpuProfile, key: (n: ProfileNode) => string, top: number): string[] {
  const self = selfTimes(p);
  const byKey = new Map<string, number>();
  let total = 0;
  for (const n of p.nodes) {
    const t = self.get(n.id) ?? 0;
    total += t;
    byKey.set(key(n), (byKey.get(key(n)) ?? 0) + t);
  }
  return [...byKey].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([k, t]) => `${((t / total) * 100).toFixed(1).padStart(5)} %  ${(t / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}

export function summariseProfile(p: CpuProfile, top = 25): string {
  const fn = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  const file = (n: ProfileNode) => short(n.callFrame.url) || `(${n.callFrame.functionName})`;
  return ['self time by function:', ...table(p, fn, top), '', 'self time by file:', ...table(p, file, 15)].join('\n');
}
