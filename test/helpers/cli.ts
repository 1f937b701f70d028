// Runs the built CLI (dist/) as a user would, capturing its output and exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

export const CLI = path.resolve(import.meta.dirname, '../../dist/cli/main.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): { child: ChildProcess; done: Promise<CliRun>; output: () => string } {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1', ...opts.env };
  // The tests choose the database explicitly; an inherited DATABASE_URL must not leak in.
  if (!opts.env || !('DATABASE_URL' in opts.env)) delete env.DATABASE_URL;
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd: opts.cwd ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done, output: () => stdout + stderr };
}

/**
 * Resolves true when the run's output (stdout or stderr) first shows `pattern`, false if the run ends without it:
 * an event wait on the CLI's own progress lines.
 */
export function outputShows(run: ReturnType<typeof startCli>, pattern: RegExp): Promise<boolean> {
  return new Promise((resolve) => {
    const seen = () => {
      if (!pattern.test(run.output())) return;
      resolve(true);
      stop();
    };
    const stop = () => {
      run.child.stdout!.off('data', seen);
      run.child.stderr!.off('data', seen);
    };
    // After startCli's own listeners: the text has been appended when this one runs.
    run.child.stdout!.on('data', seen);
    run.child.stderr!.on('data', seen);
    void run.done.then(() => {
      stop();
      resolve(pattern.test(run.output()));
    });
    seen();
  });
}

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliRun> {
  return startCli(args, opts).done;
}

/**
 * The newest run's directory under an output directory (`run --output OUT` writes OUT/<time>-<id>/): found by listing,
 * not through `latest`, which an interrupted run does not move.
 */
export function runDirOf(out: string): string {
  const runs = readdirSync(out, { withFileTypes: true }).filter((e) => e.isDirectory() && /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z-[0-9a-f]+$/.test(e.name)).map((e) => e.name).sort();
  if (runs.length === 0) throw new Error(`no run directory under ${out}`);
  return path.join(out, runs[runs.length - 1]!);
}
