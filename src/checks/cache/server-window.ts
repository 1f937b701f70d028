// cache.server's window: two samples of INFO (and LATENCY HISTOGRAM where the server has it) some seconds apart, and
// what happened between them: hit rate, evictions, expiries, commands and per-command time, not since the last reset.
import type { RedisClient as Redis } from '../../targets/redis/types.js';
import { withTimeout } from '../../exec/timeout.js';
import { parseCommandstats, parseInfo } from '../../targets/redis/info.js';
import { histogramDelta, parseLatencyHistogram, percentileBound, type CommandHistogram } from '../../targets/redis/latency-histogram.js';
import { describeError } from '../../util/errors.js';

export interface ServerSample {
  info: Record<string, string>;
  /** Undefined when the server has no LATENCY HISTOGRAM (before 7.0) or refuses it; `histogramError` says why. */
  histograms?: Map<string, CommandHistogram>;
  histogramError?: string;
  /** performance.now() when INFO was answered. */
  at: number;
}

/** Commands a sample sends, counted by the next sample's INFO: they are not the application's traffic. */
const SAMPLE_COMMANDS: Record<string, number> = { info: 1, 'latency|histogram': 1 };

/** INFO everything, then LATENCY HISTOGRAM of every command; each bounded by `timeoutMs`. */
export async function takeSample(client: Redis, timeoutMs: number): Promise<ServerSample> {
  // `everything` (commandstats, latencystats) is Redis 6+; an older or restricted server answers plain INFO.
  const text = await withTimeout(client.info('everything').catch(() => client.info()), timeoutMs, 'INFO');
  const info = parseInfo(text);
  const at = performance.now();
  try {
    const reply = await withTimeout(client.call('LATENCY', 'HISTOGRAM'), timeoutMs, 'LATENCY HISTOGRAM');
    return { info, at, histograms: parseLatencyHistogram(reply) };
  } catch (err) {
    // Before Redis 7.0, or forbidden by a managed service: per-command percentiles are then missing, and said so.
    return { info, at, histogramError: describeError(err) };
  }
}

export interface CommandWindow {
  command: string;
  calls: number;
  per_s: number;
  /** Mean server time per call over the window (commandstats usec delta / calls delta). */
  ms_per_call: number;
  /** Share of the window the server spent in this command. */
  busy_share: number;
  failed: number;
  rejected: number;
  /** Upper bounds of the power-of-two bucket holding p50 / p99 over the window (LATENCY HISTOGRAM). */
  p50_ms_at_most?: number;
  p99_ms_at_most?: number;
}

export interface WindowDelta {
  seconds: number;
  /** A counter went backwards: CONFIG RESETSTAT or a restart inside the window, so no delta is trusted. */
  reset: boolean;
  hits: number;
  misses: number;
  hitRate?: number;
  evicted: number;
  expired: number;
  commands: number;
  commandsPerS: number;
  byCommand: CommandWindow[];
}

const num = (info: Record<string, string>, key: string): number => Number(info[key] ?? 0) || 0;
const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;

function commandWindows(before: ServerSample, after: ServerSample, seconds: number): CommandWindow[] {
  const a = parseCommandstats(before.info);
  const b = parseCommandstats(after.info);
  const out: CommandWindow[] = [];
  for (const [command, s] of b) {
    const p = a.get(command) ?? { calls: 0, usec: 0, rejected: 0, failed: 0 };
    const calls = s.calls - p.calls - Math.min(SAMPLE_COMMANDS[command] ?? 0, s.calls - p.calls);
    const rejected = s.rejected - p.rejected;
    const failed = s.failed - p.failed;
    if (calls <= 0 && rejected <= 0) continue;
    const usec = s.usec - p.usec;
    const row: CommandWindow = {
      command, calls, per_s: round(calls / seconds, 2), ms_per_call: calls > 0 ? round(usec / calls / 1000) : 0,
      busy_share: round(usec / 1e6 / seconds), failed, rejected,
    };
    const h = after.histograms?.get(command);
    if (h && before.histograms) {
      const d = histogramDelta(before.histograms.get(command), h);
      const p50 = percentileBound(d, 50);
      const p99 = percentileBound(d, 99);
      if (p50 !== undefined) row.p50_ms_at_most = p50 / 1000;
      if (p99 !== undefined) row.p99_ms_at_most = p99 / 1000;
    }
    out.push(row);
  }
  // Where the server's time went first: a rare slow command outranks a frequent fast one only by its total.
  return out.sort((x, y) => y.busy_share - x.busy_share || y.calls - x.calls);
}

export function windowDelta(before: ServerSample, after: ServerSample): WindowDelta {
  const seconds = Math.max(0.001, (after.at - before.at) / 1000);
  const d = (k: string) => num(after.info, k) - num(before.info, k);
  const hits = d('keyspace_hits');
  const misses = d('keyspace_misses');
  const ours = Object.values(SAMPLE_COMMANDS).reduce((a, b) => a + b, 0);
  const commands = Math.max(0, d('total_commands_processed') - ours);
  const reset = [hits, misses, d('evicted_keys'), d('expired_keys'), d('total_commands_processed')].some((v) => v < 0)
    || num(after.info, 'uptime_in_seconds') < num(before.info, 'uptime_in_seconds');
  return {
    seconds: round(seconds, 3), reset, hits, misses, ...(hits + misses > 0 ? { hitRate: hits / (hits + misses) } : {}),
    evicted: d('evicted_keys'), expired: d('expired_keys'), commands, commandsPerS: round(commands / seconds, 2),
    byCommand: reset ? [] : commandWindows(before, after, seconds),
  };
}
