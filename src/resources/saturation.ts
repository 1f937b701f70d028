// A probe around one check: was stackprobe's own process or the host saturated while the check measured? Figures over
// the check's whole interval (process.cpuUsage, /proc/stat, the event loop's delay), judged by a pure function.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface SaturationFigures {
  intervalMs: number;
  /** stackprobe's CPU time over the interval, in % of one core (worker threads included, so it may exceed 100). */
  clientCpuPercent: number;
  /** The event loop's delay beyond its 10 ms sampling tick: p99 and max over the interval, ms. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Busy share of all the host's cores over the interval (/proc/stat; os.cpus() elsewhere), %. */
  hostCpuPercent: number;
  /** Where hostCpuPercent came from. */
  hostCpuFrom: '/proc/stat' | 'os.cpus';
  cores: number;
  /** The 1-minute load average at the end, per core: shown, judged only when the interval is a minute or more. */
  loadPerCore: number;
}

export interface SaturationLimits {
  clientCpuPercent: number;
  eventLoopDelayP99Ms: number;
  hostCpuPercent: number;
  loadPerCore: number;
}

export interface SaturationReport {
  saturated: boolean;
  /** Every limit crossed: the client's reasons, then the host's. */
  reasons: string[];
  /**
   * Limits stackprobe's own process crossed (its CPU, its event loop): the measuring client could not keep up, so its
   * timings are not trustworthy. Absent in files written before the split: read `saturated` then.
   */
  client?: string[];
  /** Limits the host crossed (other processes busy): shown beside the figures, never a reason to doubt a verdict. */
  host?: string[];
  figures: SaturationFigures;
}

/**
 * Node's main thread is one core: at 90 % of it, timers and socket reads queue behind the work. An event loop late by
 * 50 ms at p99 adds that to measured latencies. A host 90 % busy leaves the server and the client waiting for CPU.
 */
export const DEFAULT_LIMITS: SaturationLimits = { clientCpuPercent: 90, eventLoopDelayP99Ms: 50, hostCpuPercent: 90, loadPerCore: 1.5 };

const TICK_MS = 10;
const r1 = (v: number) => Math.round(v * 10) / 10;

/** Busy and total jiffies of the aggregate `cpu` line: idle and iowait are idle; guest time is already inside user. */
export function parseProcStat(text: string): { busy: number; total: number } | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 4 || f.some((x) => !Number.isFinite(x))) return undefined;
  const total = f.reduce((s, x) => s + x, 0);
  const idle = f[3]! + (f[4] ?? 0);
  return { busy: total - idle, total };
}

function hostTimes(): { busy: number; total: number; from: SaturationFigures['hostCpuFrom'] } {
  if (process.platform === 'linux') {
    try {
      const t = parseProcStat(readFileSync('/proc/stat', 'utf8'));
      if (t) return { ...t, from: '/proc/stat' };
    } catch (err) {
      // A container without /proc/stat: os.cpus() gives the same counters, less exactly.
      void err;
    }
  }
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const all = c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
    total += all;
    busy += all - c.times.idle;
  }
  return { busy, total, from: 'os.cpus' };
}

/** Pure: which limits the figures crossed, said in words a user can check, the client's apart from the host's. */
export function judgeSaturation(f: SaturationFigures, limits: SaturationLimits = DEFAULT_LIMITS): Omit<SaturationReport, 'figures'> {
  const client: string[] = [];
  const host: string[] = [];
  if (f.clientCpuPercent >= limits.clientCpuPercent) client.push(`stackprobe used ${r1(f.clientCpuPercent)}% of a CPU core (limit ${limits.clientCpuPercent}%)`);
  if (f.eventLoopDelayP99Ms >= limits.eventLoopDelayP99Ms) client.push(`stackprobe's event loop was late by ${r1(f.eventLoopDelayP99Ms)} ms at p99 (limit ${limits.eventLoopDelayP99Ms} ms)`);
  if (f.hostCpuPercent >= limits.hostCpuPercent) host.push(`the host's ${f.cores} cores were ${r1(f.hostCpuPercent)}% busy (limit ${limits.hostCpuPercent}%)`);
  // The load average trails by a minute: over a shorter check it describes what ran before.
  if (f.intervalMs >= 60_000 && f.loadPerCore >= limits.loadPerCore) host.push(`the host's load average was ${r1(f.loadPerCore)} per core (limit ${limits.loadPerCore})`);
  const reasons = [...client, ...host];
  return { saturated: reasons.length > 0, reasons, client, host };
}

/** The client's own reasons: from the split when the report has it, else (older files) every reason it gave. */
export function clientReasons(report: Pick<SaturationReport, 'saturated' | 'reasons' | 'client'> | undefined): string[] {
  if (!report?.saturated) return [];
  return report.client ?? report.reasons;
}

export interface SaturationProbe {
  /** Ends the probe and reports over the whole interval; call once (in a finally). */
  stop(): SaturationReport;
}

/** Starts measuring now; `stop()` reports. Costs one timer-free histogram (perf_hooks) and two counter reads. */
export function startSaturationProbe(limits: SaturationLimits = DEFAULT_LIMITS): SaturationProbe {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const host0 = hostTimes();
  const delay = monitorEventLoopDelay({ resolution: TICK_MS });
  delay.enable();
  let done: SaturationReport | undefined;
  return {
    stop() {
      if (done) return done;
      delay.disable();
      const intervalMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const host1 = hostTimes();
      const dt = host1.total - host0.total;
      const cores = os.availableParallelism();
      // The histogram is in ns and includes the tick itself; an idle loop then reads about 0.
      const late = (ns: number) => (delay.count > 0 ? Math.max(0, ns / 1e6 - TICK_MS) : 0);
      const figures: SaturationFigures = {
        intervalMs,
        clientCpuPercent: intervalMs > 0 ? ((cpu.user + cpu.system) / 1000 / intervalMs) * 100 : 0,
        eventLoopDelayP99Ms: late(delay.percentile(99)),
        eventLoopDelayMaxMs: late(delay.max),
        hostCpuPercent: dt > 0 ? ((host1.busy - host0.busy) / dt) * 100 : 0,
        hostCpuFrom: host1.from,
        cores,
        loadPerCore: os.loadavg()[0]! / cores,
      };
      done = { ...judgeSaturation(figures, limits), figures };
      return done;
    },
  };
}
