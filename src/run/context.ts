// The CheckContext a running check sees, and the run-scoped store of shared resources behind `ctx.shared`.
import type { CheckContext, Targets } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import { MetricRegistry } from '../metrics/registry.js';
import type { Finding, Rating } from '../result/model.js';
import type { Logger } from '../util/logger.js';
import { withTimeout } from '../exec/timeout.js';
import { rate } from '../verdict/bands.js';

interface SharedEntry {
  value: Promise<unknown>;
  cleanup?: () => unknown;
}

/** Resources several checks share during one run; cleaned up (last made, first cleaned) when the run ends. */
export class SharedResources {
  private readonly entries = new Map<string, SharedEntry>();
  private readonly order: string[] = [];

  get<T>(key: string, make: () => Promise<T>, cleanup?: (value: T) => unknown): Promise<T> {
    const existing = this.entries.get(key);
    if (existing) return existing.value as Promise<T>;
    const entry: SharedEntry = { value: make() };
    entry.value.then(
      (v) => {
        if (cleanup) entry.cleanup = () => cleanup(v as T);
      },
      () => undefined, // the rejection reaches every caller through entry.value
    );
    this.entries.set(key, entry);
    this.order.push(key);
    return entry.value as Promise<T>;
  }

  /** `boundMs` bounds each cleanup: one waiting on a dead server must not keep the others (or the run) waiting. */
  async cleanupAll(log: Logger, boundMs = 60_000): Promise<void> {
    for (const key of [...this.order].reverse()) {
      const entry = this.entries.get(key)!;
      await entry.value.catch(() => undefined); // a resource that failed to be made has nothing to clean up
      try {
        if (entry.cleanup) await withTimeout(Promise.resolve().then(entry.cleanup), boundMs, `cleanup of ${key}`);
      } catch (err) {
        log.error({ err: String(err), resource: key }, 'cleanup of a shared resource failed');
      }
    }
    this.entries.clear();
    this.order.length = 0;
  }
}

export interface ContextState {
  metrics: MetricRegistry;
  findings: Finding[];
  ratings: Rating[];
  info: Record<string, unknown>;
  deferred: Array<() => unknown>;
}

export function createContext(args: {
  config: Config;
  readOnly: boolean;
  signal: AbortSignal;
  /** The check's targets: what it opens through them is closed when it ends (scoped-targets.ts). */
  targets: Targets;
  /** The run's targets, for what a shared resource opens: it lives until the run ends. Default: `targets`. */
  runTargets?: Targets;
  log: Logger;
  shared: SharedResources;
  onProgress: (text: string) => void;
}): { ctx: CheckContext; state: ContextState } {
  const start = performance.now();
  const state: ContextState = { metrics: new MetricRegistry(), findings: [], ratings: [], info: {}, deferred: [] };
  const ctx: CheckContext = {
    config: args.config,
    mode: args.config.mode,
    readOnly: args.readOnly,
    signal: args.signal,
    targets: args.targets,
    metrics: state.metrics,
    log: args.log,
    elapsed: () => (performance.now() - start) / 1000,
    finding: (f) => void state.findings.push(f),
    rate: (kind: Rating['kind'], metric: string, value: number) =>
      void state.ratings.push({ kind, metric, value, band: rate(kind, value, args.config.bands) }),
    info: (key, value) => void (state.info[key] = value),
    progress: args.onProgress,
    defer: (fn) => void state.deferred.push(fn),
    shared: (key, make, cleanup) => {
      // Which shared resources a check used is what the reports say its figures are of (the synthetic workload, the user's SQL).
      const used = (state.info.shared ??= []) as string[];
      if (!used.includes(key)) used.push(key);
      return args.shared.get(key, () => make(args.runTargets ?? args.targets), cleanup);
    },
  };
  return { ctx, state };
}
