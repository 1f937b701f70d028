// Child processes for the harness: run a tool and read its CPU time, sample a process's RSS, find a tool's binary.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** CPU seconds (user + system) the tool and its children used, from the wrapping shell's cutime/cstime. */
  cpuSeconds: number;
  /** The user-space part of cpuSeconds (cutime); the rest is the kernel's, on the tool's behalf. */
  userSeconds: number;
  wallMs: number;
}

const CLK_TCK = 100; // Linux's USER_HZ for /proc/<pid>/stat is 100 on every mainstream kernel configuration

const MARK = '__bench_stat__';

/**
 * Runs `file args` under `sh`, which after the tool exits prints its own /proc/<pid>/stat: fields 16–17 (cutime,
 * cstime) hold the CPU the waited-for tool used. Quoting: every argument is passed as a positional parameter.
 */
export function runTool(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 15 * 60_000): Promise<ToolRun> {
  const script = `"$@"; rc=$?; echo ${MARK} $(cat /proc/$$/stat) >&2; exit $rc`;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script, 'sh', file, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stderr.split('\n').find((l) => l.startsWith(MARK)) ?? '';
      stderr = stderr.split('\n').filter((l) => !l.startsWith(MARK)).join('\n');
      const stat = line.slice(MARK.length).trim();
      resolve({ code, stdout, stderr, cpuSeconds: childCpuFromStat(stat), userSeconds: childCpuFromStat(stat, 'user'), wallMs: performance.now() - t0 });
    });
  });
}

/** cutime + cstime (seconds) from a /proc/<pid>/stat line; the command name may hold spaces, so fields count after ')'. */
export function childCpuFromStat(stat: string, part: 'all' | 'user' = 'all'): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name, field 3 (state) is rest[0]; cutime is field 16 → rest[13], cstime field 17 → rest[14].
  const cutime = Number(rest[13]);
  const cstime = Number(rest[14]);
  const ticks = part === 'user' ? cutime : cutime + cstime;
  return Number.isFinite(cutime + cstime) ? ticks / CLK_TCK : Number.NaN;
}

/** The resident set size of a process in MB (VmRSS), or NaN once it has gone. */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch (err) {
    void err; // the process has exited between two samples
    return Number.NaN;
  }
}

/** The first of the candidates that exists, or a name found on PATH, or undefined. */
export function findTool(name: string, candidates: string[] = []): string | undefined {
  for (const c of candidates) if (existsSync(c)) return c;
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  return undefined;
}

/** The CPU seconds this process (all its threads) has used. */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The user-space part of selfCpuSeconds(). */
export function selfUserSeconds(): number {
  return process.cpuUsage().user / 1e6;
}
