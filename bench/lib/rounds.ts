// Runs several tools for several rounds in rotating order and summarises each by medians (and ratios per round).
import { cpuMicrosPerOp, median, ratio, roundOrder } from './stats.js';

export interface Measurement {
  /** Operations completed (transactions, commands). */
  ops: number;
  seconds: number;
  /** Client CPU seconds used for them. */
  cpuSeconds: number;
  /** Its user-space part, where measured (the rest is the kernel's: socket writes and reads). */
  userSeconds?: number;
}

export interface Tool {
  name: string;
  run(): Promise<Measurement>;
}

export interface ToolSummary {
  name: string;
  rounds: Measurement[];
  /** Median ops per second over the rounds. */
  opsPerSecond: number;
  /** Median client CPU µs per operation. */
  cpuMicros: number;
  /** Median user-space µs per operation (NaN where not measured). */
  userMicros: number;
}

export async function runRounds(tools: Tool[], rounds: number, onRound?: (tool: string, m: Measurement) => void): Promise<Map<string, ToolSummary>> {
  const results = new Map<string, Measurement[]>(tools.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const tool of roundOrder(tools, r)) {
      const m = await tool.run();
      results.get(tool.name)!.push(m);
      onRound?.(tool.name, m);
    }
  }
  return new Map([...results].map(([name, ms]) => [name, summarise(name, ms)]));
}

export function summarise(name: string, rounds: Measurement[]): ToolSummary {
  return {
    name,
    rounds,
    opsPerSecond: median(rounds.map((m) => m.ops / m.seconds)),
    cpuMicros: median(rounds.map((m) => cpuMicrosPerOp(m.cpuSeconds, m.ops))),
    userMicros: median(rounds.map((m) => cpuMicrosPerOp(m.userSeconds ?? Number.NaN, m.ops))),
  };
}

/** The median over rounds of a's throughput divided by b's in the same round: the side-by-side ratio. */
export function roundRatio(a: ToolSummary, b: ToolSummary): number {
  const n = Math.min(a.rounds.length, b.rounds.length);
  const per = Array.from({ length: n }, (_, i) => ratio(a.rounds[i]!.ops / a.rounds[i]!.seconds, b.rounds[i]!.ops / b.rounds[i]!.seconds));
  return median(per);
}
