// The benchmark harness's pure logic: medians, ratios, rotating order, the stall model, parsers and the table.
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../bench/run.js';
import { pipelineScript, parsePgbenchTransactions, pgbenchArgs } from '../../bench/lib/pg-tools.js';
import { childCpuFromStat } from '../../bench/lib/proc.js';
import { parseRedisBenchmarkCsv } from '../../bench/lib/redis-tools.js';
import { roundRatio, runRounds, summarise } from '../../bench/lib/rounds.js';
import { cpuMicrosPerOp, errorPercent, expectedStallP99, median, ratio, roundOrder } from '../../bench/lib/stats.js';
import { columns, formatNumber, renderTable } from '../../bench/lib/table.js';
import { rssAt } from '../../bench/lib/cli-run.js';

describe('bench statistics', () => {
  it('takes medians of odd and even counts, ignoring missing values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, Number.NaN, 1])).toBe(3);
    expect(median([])).toBeNaN();
  });

  it('computes ratios and relative errors, NaN where undefined', () => {
    expect(ratio(8, 10)).toBe(0.8);
    expect(ratio(1, 0)).toBeNaN();
    expect(errorPercent(5.25, 5)).toBeCloseTo(5);
    expect(cpuMicrosPerOp(0.7, 100_000)).toBeCloseTo(7);
  });

  it('rotates the order of the tools each round so none always runs first', () => {
    expect(roundOrder(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(roundOrder(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(roundOrder(['a', 'b', 'c'], 3)).toEqual(['a', 'b', 'c']);
    const firsts = [0, 1, 2].map((r) => roundOrder(['a', 'b', 'c'], r)[0]);
    expect(new Set(firsts).size).toBe(3);
  });

  it('models the p99 of an open-loop run across a stall', () => {
    // 600 requests at 100/s, a 1 s stall: 100 stalled with latencies spread over (0, 1 s]; the top 6 are above p99.
    expect(expectedStallP99(600, 100, 1, 0)).toBeCloseTo(0.94);
    // Fewer stalled requests than 1 %: the p99 is the service time.
    expect(expectedStallP99(100_000, 100, 1, 0.002)).toBe(0.002);
  });
});

describe('bench rounds', () => {
  it('runs every tool each round in rotating order and takes per-round ratios', async () => {
    const order: string[] = [];
    const tool = (name: string, opsPerS: number[]) => {
      let i = 0;
      return { name, run: async () => (order.push(name), { ops: opsPerS[i++]!, seconds: 1, cpuSeconds: 0.001 }) };
    };
    const res = await runRounds([tool('a', [100, 50, 100]), tool('b', [50, 100, 50])], 3);
    expect(order).toEqual(['a', 'b', 'b', 'a', 'a', 'b']);
    expect(res.get('a')!.opsPerSecond).toBe(100);
    // Per-round ratios 2, 0.5, 2: the median is 2, not the ratio of medians alone.
    expect(roundRatio(res.get('a')!, res.get('b')!)).toBe(2);
    expect(summarise('x', [{ ops: 1000, seconds: 1, cpuSeconds: 0.01 }]).cpuMicros).toBeCloseTo(10);
  });
});

describe('bench parsers', () => {
  it('reads cutime and cstime from /proc/<pid>/stat, even with spaces in the command name', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[13] = '150'; // cutime (field 16)
    fields[14] = '25'; // cstime (field 17)
    expect(childCpuFromStat(`1234 (sh -c x) ${fields.join(' ')}`)).toBeCloseTo(1.75);
  });

  it('parses pgbench and redis-benchmark output', () => {
    expect(parsePgbenchTransactions('number of clients: 8\nnumber of transactions actually processed: 481234\ntps = 48000.1')).toBe(481234);
    const csv = '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"\n"GET","105401.84","0.253","0.056","0.047","0.399","0.519","1.151"\n';
    expect(parseRedisBenchmarkCsv(csv, 'GET')).toEqual({ rps: 105401.84, p50Ms: 0.047 });
    expect(parseRedisBenchmarkCsv('', 'SET').rps).toBeNaN();
    // A command of its own (SET with a TTL) is named by its words in the CSV.
    const own = '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms"\n"SET key:__rand_int__ abc EX 300","201612.91","3.677","0.672","3.415"\n';
    expect(parseRedisBenchmarkCsv(own, 'SET key:__rand_int__ abc EX 300')).toEqual({ rps: 201612.91, p50Ms: 3.415 });
  });

  it('builds pgbench arguments with the password kept out of them', () => {
    const { args, env } = pgbenchArgs('postgres://app:s3cret@db:6543/bench', 8, 10);
    expect(args).toEqual(['-h', 'db', '-p', '6543', '-U', 'app', '-S', '-M', 'prepared', '-n', '-c', '8', '-j', '1', '-T', '10', 'bench']);
    expect(args.join(' ')).not.toContain('s3cret');
    expect(env.PGPASSWORD).toBe('s3cret');
  });

  it('writes a pipelined select-only script with one sync per batch', () => {
    const script = pipelineScript(4);
    expect(script.startsWith('\\startpipeline\n')).toBe(true);
    expect(script.trimEnd().endsWith('\\endpipeline')).toBe(true);
    expect(script.match(/SELECT abalance/g)).toHaveLength(4);
  });

  it('picks figures from the command line', () => {
    expect(parseArgs(['--quick'])).toEqual({ quick: true, figures: [1, 2, 3, 4, 5, 6, 7] });
    expect(parseArgs(['--only', '1,3'])).toEqual({ quick: false, figures: [1, 3] });
    expect(() => parseArgs(['--only', '9'])).toThrow(/figure numbers/);
  });

  it('finds the RSS sample nearest a time', () => {
    expect(rssAt([[0.9, 50], [59.8, 80], [61.1, 81]], 60)).toBe(80);
    expect(rssAt([], 60)).toBeNaN();
  });
});

describe('bench table', () => {
  it('formats numbers to a readable precision', () => {
    expect(formatNumber(95123.4)).toBe('95,123');
    expect(formatNumber(12.345)).toBe('12.3');
    expect(formatNumber(0.8123)).toBe('0.812');
    expect(formatNumber(Number.NaN)).toBe('—');
  });

  it('aligns columns and numbers the commands once each', () => {
    expect(columns([['a', 'bb'], ['ccc', 'd']])).toBe('a    bb\n---  --\nccc  d');
    const out = renderTable([
      { figure: 1, measure: 'ratio', value: 0.91, unit: '×', target: '≥ 0.8×', met: true, command: 'pgbench -S' },
      { figure: 1, measure: 'again', value: 0.5, unit: '×', target: '≥ 1×', met: false, command: 'pgbench -S' },
    ]);
    expect(out).toContain('0.910×');
    expect(out).toContain('MISSED');
    expect(out.match(/\[1\] pgbench -S/g)).toHaveLength(1);
    expect(out).not.toContain('[2]');
  });
});

describe('bench memory statistics', () => {
  it('takes the median of a window and the slope of a series', async () => {
    const { slope, windowMedian } = await import('../../bench/lib/stats.js');
    const series: Array<[number, number]> = [[0, 100], [10, 90], [20, 130], [30, 101], [40, 102]];
    expect(windowMedian(series, 20, 10)).toBe(101);
    expect(slope([[0, 10], [60, 11], [120, 12]], 0, 120)).toBeCloseTo(1 / 60);
    expect(slope([[0, 10]], 0, 10)).toBeNaN();
  });
});
