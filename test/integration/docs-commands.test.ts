// The docs work as written: every ```sh block of README.md and docs/**/*.md is run, in order, in one scratch project
// that has stackprobe installed from this checkout (node_modules/.bin/stackprobe, so `npx stackprobe` resolves it as
// it does after `npm ci`). Only URLs are adapted: DATABASE_URL/REDIS_URL assignments point at this test's own database
// and Redis db. A block preceded by `<!-- not-run: reason -->` is not run and must say why; `<!-- exit: N -->` expects
// exit N. Every `stackprobe` command line in any sh or yaml block, run or not, is parsed by the CLI's own parser.
// The README's quick run is the suite's one quick run: its result is checked here (it was quick-run.test.ts's job).
// Every other command a reader is shown — `--help`'s of every command, the inline ones in the prose, each line of a
// block not run whole — runs against runs prepared once (SUBSTITUTIONS says what stands in for a placeholder); one
// that starts a run of minutes is parsed and validated as `run` does before it starts. `npx stackprobe` runs in the
// checkout-like project, plain `stackprobe` in a directory of the reader's own. The Kubernetes Jobs' command lines
// run here, paths mapped.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/model.js';
import { CLI, runCli } from '../helpers/cli.js';
import { dryParse, helpCommands, inlineCommands, invocations, markdownFiles, parseBlocks, ROOT, SUBSTITUTIONS, stackprobeWords, substitute, validateRun, type Block, type ShownCommand } from '../helpers/docs-commands.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { expectPromtoolClean } from '../helpers/promtool.js';
import { alive } from '../../src/targets/embedded/reap.js';

/** A Redis db of its own (0 and 1 are the examples'); stackprobe's keys carry its run id prefix and are removed. */
const REDIS_URL = 'redis://127.0.0.1:6379/13';

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const child = spawn('bash', ['-eo', 'pipefail', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

/** The URLs in `VAR=url command` are the only thing changed: they point at this test's services. */
function adapt(text: string, urls: Record<string, string>): string {
  return text
    .replace(/^npm ci && /gm, '') // the checkout is installed already; npm ci would replace node_modules under the suite
    .replace(/\b(DATABASE_URL|REDIS_URL|CELERY_BROKER_URL|CELERY_RESULT_BACKEND)=("[^"]*"|'[^']*'|\S+)/g, (_, k: string) => `${k}=${urls[k] ?? ''}`);
}

/**
 * A run block documented to exit 0 that exited 1 (a failed threshold) or 3 (untrusted: the host was saturated) ran as
 * written when its only misses are timing limits: those judge how fast this machine answered while the rest of the
 * suite ran beside it, not the command. Returns what was missed then, or undefined when anything else failed.
 */
async function onlyTimingMissed(code: number | null, expected: number, newRuns: string[]): Promise<string | undefined> {
  if (expected !== 0 || (code !== 1 && code !== 3) || newRuns.length !== 1) return undefined;
  const result = JSON.parse(await readFile(newRuns[0]!, 'utf8')) as RunResult;
  if (code === 3) return result.checks.some((c) => c.status === 'untrusted') && !result.checks.some((c) => c.status === 'fail') ? 'untrusted (the measuring client was saturated)' : undefined;
  const failed = result.checks.filter((c) => c.status === 'fail');
  const missed = failed.flatMap((c) => c.thresholds.filter((t) => t.level === 'fail' && !t.ok).map((t) => ({ check: c.id, t })));
  // Every failed check failed by a threshold (no error), and every missed threshold is a time in milliseconds.
  if (failed.length === 0 || failed.some((c) => !missed.some((m) => m.check === c.id))) return undefined;
  if (missed.some((m) => m.t.unit !== 'ms' || m.t.actual === null)) return undefined;
  return missed.map((m) => `${m.check} ${m.t.metric} ${m.t.expression} (measured ${m.t.actual} ms)`).join(', ');
}

/** Every run.json under the output directory, whatever its layout (flat, or one directory per run). */
async function runJsonFiles(dir: string, depth = 0): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && depth < 3) out.push(...(await runJsonFiles(p, depth + 1)));
    else if (e.isFile() && e.name === 'run.json') out.push(p);
  }
  return out;
}

async function privateServerDirs(): Promise<string[]> {
  return (await readdir(os.tmpdir())).filter((n) => n.startsWith('stackprobe-pg-'));
}

/**
 * Private server directories left behind: their owner process (owner.pid) has ended and the directory is still there.
 * One whose owner still runs belongs to another process on the machine (another suite, another test file): every
 * process the blocks started has ended by the time this is asked.
 */
async function leftBehind(dirs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of dirs) {
    const pid = Number.parseInt((await readFile(path.join(os.tmpdir(), d, 'owner.pid'), 'utf8').catch(() => '')).trim(), 10);
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) out.push(d);
  }
  return out;
}

/** The parts of a Kubernetes manifest read here. */
interface Manifest {
  kind: string;
  data?: Record<string, string>;
  spec?: {
    completions?: number;
    template: { spec: { containers: Array<{ command: string[]; args: string[]; env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: unknown; secretKeyRef?: { key: string; optional?: boolean } } }> }> } };
  };
}

let project: string;
/** A directory of the reader's own where an installed `stackprobe` runs (the checkout's files are not there). */
let elsewhere: string;
let db: TestDatabase;
/** The segments' own databases (one per split): a load run's workload schema refuses a second run id meanwhile. */
let segDb: TestDatabase;
let segDb3: TestDatabase;
let blocks: Block[];

/** The environment of a reader's shell where stackprobe is installed: `stackprobe` on PATH, `npx stackprobe` too. */
const shellEnv = (more: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: `${path.join(project, 'node_modules', '.bin')}:${process.env.PATH}`, HOME: process.env.HOME, CI: 'true', NO_COLOR: '1', ...more });

/** Runs `jobs` with at most `n` at a time (each command is a process; the machine has 2 cores). */
async function inParallel<T>(jobs: Array<() => Promise<T>>, n: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  }));
  return out;
}

/** Short load stages for the prepared segments: the length of the load is not what a merge example shows. */
const SHORT_LOAD = { workload: { scale: 0.02 }, load: { stages: [{ rate: 20, duration: '1s' }, { rate: 40, duration: '1s' }], pool_size: 4, start_timeout_ms: 60_000 } };

beforeAll(async () => {
  const t0 = performance.now();
  project = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-docs-'));
  // A project that installed stackprobe: its bin in node_modules/.bin, the example config and plugins beside it.
  await mkdir(path.join(project, 'node_modules', '.bin'), { recursive: true });
  await symlink(ROOT, path.join(project, 'node_modules', 'stackprobe'));
  await symlink(CLI, path.join(project, 'node_modules', '.bin', 'stackprobe'));
  for (const f of ['example_config.json', 'examples', 'docs']) await symlink(path.join(ROOT, f), path.join(project, f));
  [db, segDb, segDb3] = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
  blocks = [];
  for (const f of await markdownFiles()) blocks.push(...parseBlocks(f, await readFile(f, 'utf8')));
  // The runs the examples read, made once: a short run in results/ (results/latest), and the segments of one run in
  // seg1/ … segN/ (what `run --segment i/N --output segI` leaves) for `merge seg1/ seg2/ …`: N = 2 here (README,
  // --help), N = 3 in split-3/ (docs/checks/load.md's three machines).
  await writeFile(path.join(project, 'short-load.json'), JSON.stringify(SHORT_LOAD));
  await mkdir(path.join(project, 'split-3'));
  const segmentRuns = (n: number, dir: string, on: TestDatabase) => Array.from({ length: n }, (_, i) => ({
    what: path.join(dir, `seg${i + 1}`),
    done: runCli(['run', '--only', 'load.mixed', '--config', path.join(project, 'short-load.json'), '--segment', `${i + 1}/${n}`, '--run-id', `docs-${on.name}`, '--output', `seg${i + 1}`, '--format', 'json'], { cwd: dir, env: { DATABASE_URL: on.url, REDIS_URL } }),
  }));
  const prepared = [
    { what: path.join(project, 'results'), done: runCli(['run', '--quick', '--only', 'queries.basic', '--output', 'results'], { cwd: project, env: { DATABASE_URL: db.url, REDIS_URL } }) },
    ...segmentRuns(2, project, segDb), ...segmentRuns(3, path.join(project, 'split-3'), segDb3),
  ];
  for (const { what, done } of prepared) {
    const r = await done;
    // 1 or 3 is a verdict (a timing threshold on a busy machine); the run and its files are what the examples need.
    if (![0, 1, 3].includes(r.code ?? -1) || !existsSync(path.join(what, 'latest'))) throw new Error(`preparing ${what}: exit ${r.code}\n${r.stderr}`);
  }
  // The files a user keeps: a run.json (as `run --json > run.json` writes) and a baseline (as the README copies one).
  for (const f of ['run.json', 'baseline.json']) await copyFile(path.join(project, 'results', 'latest', 'run.json'), path.join(project, f));
  // A config of the reader's own, for `--config FILE`.
  await writeFile(path.join(project, 'my-config.json'), JSON.stringify({ mode: 'quick', formats: ['json', 'md'] }));
  // Where an installed `stackprobe` runs: any directory, with the reader's runs and files but none of the checkout's.
  elsewhere = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-docs-elsewhere-'));
  for (const f of ['results', 'seg1', 'seg2']) await symlink(path.join(project, f), path.join(elsewhere, f));
  for (const f of ['run.json', 'baseline.json', 'my-config.json']) await copyFile(path.join(project, f), path.join(elsewhere, f));
  process.stdout.write(`docs: prepared the runs in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}, 300_000);
afterAll(async () => {
  await Promise.all([db?.drop(), segDb?.drop(), segDb3?.drop()]);
  await Promise.all([project, elsewhere].filter(Boolean).map((d) => rm(d, { recursive: true, force: true })));
});

describe('docs', () => {
  it('every shell block is run or says why not; every stackprobe command line of a sh or yaml block parses with the CLI', async () => {
    const problems: string[] = [];
    for (const b of blocks.filter((x) => ['sh', 'bash', 'yaml'].includes(x.lang))) {
      if (b.notRun !== undefined && b.notRun.length < 10) problems.push(`${b.file}:${b.line}: not-run needs a reason`);
      // No package named stackprobe is published: whoever publishes that name would run in the reader's CI.
      if (/npx\s+(?:--yes|-y)\s+stackprobe/.test(b.text)) problems.push(`${b.file}:${b.line}: npx --yes stackprobe fetches an unpublished name from the registry`);
      for (const words of invocations(b.text)) {
        const parsed = await dryParse(words);
        if (typeof parsed === 'string') problems.push(`${b.file}:${b.line}: stackprobe ${words.join(' ')}: ${parsed}`);
      }
    }
    expect(problems).toEqual([]);
    expect(blocks.some((b) => b.lang === 'sh' && b.notRun === undefined)).toBe(true);
  });

  it('the shell blocks run as written (the README quick run included) and exit as documented', async () => {
    const before = await privateServerDirs();
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', NO_COLOR: '1' };
    const urls = { DATABASE_URL: db.url, REDIS_URL, CELERY_BROKER_URL: REDIS_URL, CELERY_RESULT_BACKEND: REDIS_URL };
    const failures: string[] = [];
    let ran = 0;
    const timings: string[] = [];
    const speedVerdicts: string[] = [];
    const runsSoFar = async (): Promise<string[]> => (existsSync(path.join(project, 'results')) ? runJsonFiles(path.join(project, 'results')) : []);
    for (const b of blocks.filter((x) => ['sh', 'bash'].includes(x.lang) && x.notRun === undefined)) {
      const t0 = performance.now();
      const runsBefore = new Set(await runsSoFar());
      const r = await bash(adapt(b.text, urls), project, env);
      timings.push(`${b.file}:${b.line} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      ran++;
      if (r.code === b.exit && !r.out.includes('unexpected error')) continue;
      const missed = r.out.includes('unexpected error') ? undefined : await onlyTimingMissed(r.code, b.exit, (await runsSoFar()).filter((f) => !runsBefore.has(f)));
      if (missed) speedVerdicts.push(`${b.file}:${b.line}: exit ${r.code}: ${missed}`);
      else failures.push(`${b.file}:${b.line}: exit ${r.code} (expected ${b.exit})\n${r.out.slice(-3000)}`);
    }
    process.stdout.write(`docs blocks: ${timings.join(', ')}\n`);
    if (speedVerdicts.length > 0) process.stdout.write(`docs blocks judged this machine's speed, not the command: ${speedVerdicts.join('; ')}\n`);
    expect(failures).toEqual([]);
    expect(ran).toBeGreaterThan(1);

    // The README's `npx stackprobe run --quick`: a private PostgreSQL, the queries measured, the reports written, the server gone.
    const runs = await runJsonFiles(path.join(project, 'results'));
    const parsed = await Promise.all(runs.map(async (f) => ({ file: f, result: JSON.parse(await readFile(f, 'utf8')) as RunResult })));
    const found = parsed.find((r) => r.result.environment.targets.pg?.private === true && r.result.mode === 'quick');
    expect(found, `no quick run on a private PostgreSQL among ${runs.join(', ')}`).toBeDefined();
    const quick = found!.result;
    expectPromtoolClean(quick);
    expect(await readdir(path.dirname(found!.file))).toEqual(expect.arrayContaining(['run.json', 'report.md', 'stackprobe.log']));
    expect(quick.environment.targets.pg?.private).toBe(true);
    const queries = quick.checks.filter((c) => c.category === 'queries');
    expect(queries.map((c) => c.id)).toEqual(expect.arrayContaining(['queries.basic', 'queries.financial', 'queries.custom']));
    for (const c of queries.filter((q) => q.id !== 'queries.custom')) {
      expect(['pass', 'warn']).toContain(c.status);
      expect(c.metrics.some((m) => m.type === 'trend' && m.summary.count > 0)).toBe(true);
    }
    // None of its own left behind (other processes on the machine may start and remove theirs meanwhile).
    expect(await leftBehind((await privateServerDirs()).filter((d) => !before.includes(d)))).toEqual([]);
  }, 600_000);

  // This and the Kubernetes test below run side by side (their own directories and databases): they wait on processes.
  it.concurrent("every command `--help` (of each command) and the prose show runs on the prepared runs; a run of minutes is parsed and validated", async ({ expect }) => {
    const t0 = performance.now();
    const { commands: help, helps } = await helpCommands();
    const prose: ShownCommand[] = [];
    for (const f of await markdownFiles()) prose.push(...inlineCommands(f, await readFile(f, 'utf8')));
    // The lines of the shell blocks not run as a whole (they run against servers of the reader's, or start runs of
    // minutes): each stackprobe or npm run line on its own, as a reader may copy it.
    // A block whose segments are of a split of N machines runs in the directory holding that split's segments.
    const lines: ShownCommand[] = [];
    const blockDir = new Map<string, string>();
    for (const b of blocks.filter((x) => x.lang === 'sh' && x.notRun !== undefined)) {
      const n = Number(/--segment \d+\/(\d+)/.exec(b.text)?.[1] ?? 2);
      b.text.split('\n').forEach((l, i) => {
        const text = l.replace(/(^|\s)#.*$/, '').trim();
        const where = `${b.file}:${b.line + 1 + i}`;
        if (n !== 2) blockDir.set(where, path.join(project, `split-${n}`));
        if (stackprobeWords(text) || /^npm run \S/.test(text)) lines.push({ source: b.file === 'README.md' ? 'README' : 'docs', where, text });
      });
    }
    const missingSplits = [...new Set(blockDir.values())].filter((d) => !existsSync(d));
    expect(missingSplits, 'a split of segments the docs show and beforeAll does not prepare').toEqual([]);
    const shown = [...help, ...prose, ...lines];
    const oldestRun = path.join('results', (await readdir(path.join(project, 'results'))).filter((n) => /^\d{4}-/.test(n)).sort()[0]!);
    const scripts = (JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const env = shellEnv({ DATABASE_URL: db.url, REDIS_URL });
    // `npx stackprobe` is the checkout's (the README's set-up); plain `stackprobe` is an installed one, run anywhere.
    const worldOf = (text: string, where?: string) => blockDir.get(where ?? '') ?? (/^npx /.test(text) ? project : elsewhere);
    type Outcome = { c: ShownCommand; how: 'ran' | 'validated' | 'script'; problem?: string; line?: string };
    const runs: Outcome[] = [];
    const outcomes = await inParallel(shown.map((c) => async (): Promise<Outcome> => {
      const text = substitute(c.text, { oldestRun });
      const at = `${c.where}: \`${c.text}\``;
      // `npm run X` runs the checkout's suite, benchmark or build (minutes; a build would replace dist/ under this
      // suite): the script must exist.
      const script = /^npm run (\S+)/.exec(text)?.[1];
      if (script !== undefined) return { c, how: 'script', ...(scripts[script] === undefined ? { problem: `${at}: no script ${script} in package.json` } : {}) };
      let words = stackprobeWords(text);
      if (!words) return { c, how: 'ran', problem: `${at}: not a stackprobe command` };
      let parsed = await dryParse(words);
      // A command named in prose without its arguments (`stackprobe merge`): what the reader can run is its --help.
      if (typeof parsed === 'string' && /missing required argument/.test(parsed) && words.every((w) => !w.startsWith('-'))) {
        words = [...words, '--help'];
        parsed = await dryParse(words);
      }
      if (typeof parsed === 'string') return { c, how: 'ran', problem: `${at}: ${parsed}` };
      if (parsed.startsRun) {
        const why = await validateRun(parsed, worldOf(text, c.where), { DATABASE_URL: db.url });
        if (why) return { c, how: 'validated', problem: `${at}: ${why}` };
        // A run of a few checks outside the load profile takes seconds: it runs, after these (one run at a time).
        const only = typeof parsed.opts.only === 'string' ? parsed.opts.only.split(',') : [];
        const short = only.length > 0 && !only.some((o) => o.startsWith('load')) && !parsed.opts.full && !parsed.opts.loadTest;
        if (short) runs.push({ c, how: 'ran', line: text });
        return { c, how: short ? 'ran' : 'validated' };
      }
      const line = words.length === stackprobeWords(text)!.length ? text : `${text} --help`;
      let r = await bash(line, worldOf(text, c.where), env);
      if (r.code === 1 && /did not start together/.test(r.out)) {
        // merge's documented refusal when the segments' stages started too far apart (this busy machine's doing):
        // the flag its message names merges them, and the merge is checked that way.
        process.stdout.write(`docs: \`${line}\` refused the segments' start skew (this machine's speed), run again with --allow-skew: ${r.out.split('\n')[0]}\n`);
        r = await bash(`${line} --allow-skew`, worldOf(text, c.where), env);
        if (!/Wrote .*run\.json/.test(r.out)) return { c, how: 'ran', problem: `${at} --allow-skew: wrote no run.json\n${r.out.slice(-1500)}` };
      }
      // compare's and merge's exit 1 is their verdict (a regression, a failed check), not a failure of the command.
      const allowed = /^(npx )?stackprobe (compare|merge) /.test(line) ? [0, 1] : [0];
      const bad = !allowed.includes(r.code ?? -1) || /ENOENT|unexpected error|no such file|cannot read|Not merged/i.test(r.out);
      return { c, how: 'ran', ...(bad ? { problem: `${at} (as \`${line}\`): exit ${r.code}\n${r.out.slice(-1500)}` } : {}) };
    }), 4);
    const batch = performance.now() - t0;
    for (const o of runs) {
      const dir = path.join(worldOf(o.line!, o.c.where), 'results');
      const before = new Set(await runJsonFiles(dir));
      const r = await bash(o.line!, worldOf(o.line!, o.c.where), env);
      const missed = r.code === 0 ? undefined : await onlyTimingMissed(r.code, 0, (await runJsonFiles(dir)).filter((f) => !before.has(f)));
      if (r.code !== 0 && !missed) o.problem = `${o.c.where}: \`${o.c.text}\`: exit ${r.code}\n${r.out.slice(-1500)}`;
      outcomes.find((x) => x.c === o.c)!.problem = o.problem;
    }
    const count = (source: ShownCommand['source'], how: Outcome['how']) => outcomes.filter((o) => o.c.source === source && o.how === how).length;
    process.stdout.write(`docs commands (${helps} --help outputs read; ${(batch / 1000).toFixed(1)} s for all but the ${runs.length} short runs, ${((performance.now() - t0 - batch) / 1000).toFixed(1)} s for those): ${(['help', 'README', 'docs'] as const).map((s) => `${s}: ${count(s, 'ran')} ran, ${count(s, 'validated')} runs validated, ${count(s, 'script')} npm scripts checked`).join('; ')}\n`);
    process.stdout.write(`docs commands parsed and validated, not run (a run of a minute or more each; the blocks' runs run the command): ${outcomes.filter((o) => o.how === 'validated').map((o) => `${o.c.where} \`${o.c.text}\``).join(', ')}\n`);
    process.stdout.write(`docs placeholders: ${SUBSTITUTIONS.map((s) => `${s.shown.source} -> ${s.used} (${s.why})`).join('; ')}\n`);
    expect(outcomes.flatMap((o) => (o.problem ? [o.problem] : []))).toEqual([]);
    // Every command's --help was read, and each source shows commands that ran for real.
    expect(helps).toBeGreaterThanOrEqual(10);
    for (const source of ['help', 'README', 'docs'] as const) expect(count(source, 'ran'), source).toBeGreaterThan(0);
  }, 300_000);

  it.concurrent('the Kubernetes Jobs run here as written, paths mapped: one segment per index, then the merge Job over them; the Docker example parses', async ({ expect }) => {
    const page = await readFile(path.join(ROOT, 'docs', 'kubernetes.md'), 'utf8');
    const manifest = loadAll(await readFile(path.join(ROOT, 'examples', 'kubernetes', 'indexed-job.yaml'), 'utf8')) as Manifest[];
    const mergeJob = loadAll(await readFile(path.join(ROOT, 'examples', 'kubernetes', 'merge-job.yaml'), 'utf8'))[0] as Manifest;
    const job = manifest.find((d) => d.kind === 'Job')!;
    const pod = job.spec!.template.spec.containers[0]!;
    // The page's excerpt of the Job is the manifest's command, word for word.
    const excerpt = parseBlocks('docs/kubernetes.md', page).find((b) => b.lang === 'yaml' && b.text.includes('completionMode'))!;
    const words = (t: string) => t.replace(/\s+/g, ' ').trim();
    expect(words(excerpt.text)).toContain(words(pod.args.join(' ')));

    // The volumes as directories here; the image's CLI is this checkout's build.
    const k8s = path.join(project, 'k8s');
    await mkdir(path.join(k8s, 'config'), { recursive: true });
    await mkdir(path.join(k8s, 'results'));
    const mapPaths = (t: string) => t.replaceAll('/app/dist/cli/main.js', CLI).replaceAll('/config/', `${k8s}/config/`).replaceAll('/results/', `${k8s}/results/`);
    // The ConfigMap as given, with short stages on a small workload: how long the load lasts is not the Job's wiring.
    const config = JSON.parse((manifest.find((d) => d.kind === 'ConfigMap')!.data!)['stackprobe.json']!) as Record<string, unknown>;
    await writeFile(path.join(k8s, 'config', 'stackprobe.json'), JSON.stringify({ ...config, ...SHORT_LOAD, load: { ...(config.load as object), ...SHORT_LOAD.load } }));
    // What Kubernetes gives each pod: its index, the Job's uid (RUN_ID), the Secret's URLs (the optional Celery broker left out).
    const runId = randomUUID();
    const secret: Record<string, string> = { 'database-url': segDb.url, 'redis-url': REDIS_URL };
    const podEnv = (index: number): NodeJS.ProcessEnv => {
      const out: NodeJS.ProcessEnv = { ...shellEnv(), JOB_COMPLETION_INDEX: String(index) };
      for (const e of pod.env ?? []) {
        const key = e.valueFrom?.secretKeyRef?.key;
        if (e.value !== undefined) out[e.name] = e.value;
        else if (e.valueFrom?.fieldRef) out[e.name] = runId;
        else if (key !== undefined && secret[key] !== undefined) out[e.name] = secret[key];
        else if (key === undefined || !e.valueFrom?.secretKeyRef?.optional) throw new Error(`the Job's env ${e.name}: nothing here stands for it`);
      }
      return out;
    };
    const sh = (t: string, env: NodeJS.ProcessEnv) => new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('sh', ['-c', t], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(pod.command).toEqual(['sh', '-c']);
    const completions = job.spec!.completions!;
    const pods = await Promise.all(Array.from({ length: completions }, (_, i) => sh(mapPaths(pod.args[0]!), podEnv(i))));
    pods.forEach((r, i) => expect([0, 1, 3], `pod ${i}: ${r.out.slice(-2000)}`).toContain(r.code));
    const segmentDirs = (await readdir(path.join(k8s, 'results', runId))).sort();
    expect(segmentDirs).toEqual(Array.from({ length: completions }, (_, i) => `segment-${i + 1}`));

    // The merge Job, its RUN_ID filled in as the page's sed does.
    const mergePod = mergeJob.spec!.template.spec.containers[0]!;
    expect(page).toContain('sed "s/replace-with-the-load-job-uid/$RUN_ID/"');
    const mergeLine = mapPaths(mergePod.args[0]!);
    let merged = await sh(mergeLine, { ...shellEnv(), RUN_ID: runId });
    if (merged.code === 1 && /did not start together/.test(merged.out)) {
      // The documented refusal when the pods' stages started further apart than --max-skew-ms (a busy machine here):
      // nothing written. The flag the message names merges them, to check the rest.
      expect(existsSync(path.join(k8s, 'results', runId, 'merged', 'run.json'))).toBe(false);
      process.stdout.write(`docs: the merge Job refused the segments' start skew (this machine's speed), merged again with --allow-skew: ${merged.out.split('\n')[0]}\n`);
      merged = await sh(`${mergeLine} --allow-skew`, { ...shellEnv(), RUN_ID: runId });
    }
    expect([0, 1], merged.out).toContain(merged.code);
    expect(merged.out).toContain(`Segments: ${completions} of ${completions}`);
    const result = JSON.parse(await readFile(path.join(k8s, 'results', runId, 'merged', 'run.json'), 'utf8')) as RunResult;
    expect(result.checks.find((c) => c.id === 'load.mixed')).toBeDefined();
    // The page says the merged report.md is in $RUN_ID/merged on the volume.
    expect(await readdir(path.join(k8s, 'results', runId, 'merged'))).toEqual(expect.arrayContaining(['run.json', 'report.md']));

    // No Docker engine here: the container's arguments parse and validate as `run` does; the `ls` after it runs.
    const docker = parseBlocks('docs/kubernetes.md', page).find((b) => b.text.includes('docker run'))!;
    const image = /docker build -t (\S+)/.exec(docker.text)![1]!;
    const args = docker.text.replace(/\\\n/g, ' ').split(image).at(-1)!.split('\n')[0]!.trim().split(/\s+/);
    const parsed = await dryParse(args);
    if (typeof parsed === 'string') throw new Error(`docker run … ${args.join(' ')}: ${parsed}`);
    expect(await validateRun(parsed, project, {})).toBeUndefined();
    const ls = /^ls (\S+)\s+#\s*(.*)$/m.exec(docker.text)!;
    const listed = await readdir(path.join(project, ls[1]!));
    for (const f of ls[2]!.split(/,\s*/).filter((x) => x !== '…')) expect(listed, `${ls[0]}`).toContain(f);
    // The kubectl commands name files of this repository.
    for (const b of parseBlocks('docs/kubernetes.md', page)) {
      for (const m of b.text.matchAll(/-f (examples\/\S+)/g)) expect(existsSync(path.join(ROOT, m[1]!)), m[0]).toBe(true);
    }
  }, 300_000);
});
