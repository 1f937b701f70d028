// The commands the docs and `--help` show, found where a reader finds them: fenced blocks, inline code spans in prose,
// and the help text of every command the program defines. test/integration/docs-commands.test.ts runs them.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { flagsToConfig, type RunFlags } from '../../src/cli/flags.js';
import { prepareRun } from '../../src/run/prepare.js';
import { loadBuild } from '../../src/targets/embedded/builds.js';
import { CLI } from './cli.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Block {
  file: string;
  line: number;
  lang: string;
  text: string;
  notRun?: string;
  exit: number;
}

/** One command a reader may copy: where it was found and its text as shown. */
export interface ShownCommand {
  source: 'help' | 'README' | 'docs';
  where: string;
  text: string;
}

export async function markdownFiles(): Promise<string[]> {
  const out = [path.join(ROOT, 'README.md')];
  const walk = async (dir: string): Promise<void> => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.md')) out.push(p);
    }
  };
  await walk(path.join(ROOT, 'docs'));
  return out;
}

/** Fenced blocks with their language and the HTML-comment markers on the lines just before the fence. */
export function parseBlocks(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^\s*```\s*$/.test(l));
    if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code block`);
    const markers: string[] = [];
    for (let j = i - 1; j >= 0 && /^<!--.*-->\s*$/.test(lines[j]!); j--) markers.push(lines[j]!);
    const notRun = markers.map((m) => /^<!--\s*not-run:(.*)-->/.exec(m)?.[1]?.trim()).find((r) => r !== undefined);
    const exit = Number(markers.map((m) => /^<!--\s*exit:\s*(\d+)\s*-->/.exec(m)?.[1]).find(Boolean) ?? 0);
    blocks.push({ file: path.relative(ROOT, file), line: i + 1, lang: open[1]!, text: lines.slice(i + 1, end).join('\n'), exit, ...(notRun !== undefined ? { notRun } : {}) });
    i = end;
  }
  return blocks;
}

/**
 * A code span that is a command: `stackprobe <a command of the program, a flag or …>`, `npx stackprobe …`,
 * `npm run <script>`. Other spans starting with the name are names (the schema `stackprobe`, a marker's text).
 */
const COMMAND_SPAN = new RegExp(`^(?:npx stackprobe(?:\\s|$)|stackprobe\\s+(?:(?:${buildProgram(() => undefined).commands.map((c) => c.name()).join('|')})\\b|-|…)|npm run \\S)`);

/** Inline code spans of the prose (outside fenced blocks) that are commands; a span may wrap within its paragraph. */
export function inlineCommands(file: string, text: string): ShownCommand[] {
  const source = path.basename(file) === 'README.md' && path.dirname(file) === ROOT ? 'README' : 'docs';
  const rel = path.relative(ROOT, file);
  const out: ShownCommand[] = [];
  // Paragraphs: runs of lines up to a blank line or a fence, each with the number of its first line.
  const paragraphs: Array<{ line: number; text: string }> = [];
  let fenced = false;
  let current: { line: number; lines: string[] } | undefined;
  const close = () => {
    if (current) paragraphs.push({ line: current.line, text: current.lines.join('\n') });
    current = undefined;
  };
  text.split('\n').forEach((l, i) => {
    if (/^\s*```/.test(l)) {
      close();
      fenced = !fenced;
    } else if (fenced || l.trim() === '') close();
    else (current ??= { line: i + 1, lines: [] }).lines.push(l);
  });
  close();
  for (const p of paragraphs) {
    for (const m of p.text.matchAll(/(?<!`)`([^`]+)`(?!`)/g)) {
      const span = m[1]!.replace(/\s*\n\s*/g, ' ').trim();
      const line = p.line + (p.text.slice(0, m.index).match(/\n/g)?.length ?? 0);
      if (COMMAND_SPAN.test(span)) out.push({ source, where: `${rel}:${line}`, text: span });
    }
  }
  return out;
}

/** Every command path the program defines (`[]` is the root, then `run`, `config schema`, …), from the program itself. */
export function commandPaths(program: Command = buildProgram(() => undefined)): string[][] {
  const out: string[][] = [];
  const walk = (cmd: Command, at: string[]): void => {
    out.push(at);
    for (const sub of cmd.commands) walk(sub, [...at, sub.name()]);
  };
  walk(program, []);
  return out;
}

function capture(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, env: opts.env ?? { PATH: process.env.PATH, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

/**
 * The commands `--help` shows, from the built CLI's output for every command: its `$ ` example lines, the commands in
 * their notes (`# then: stackprobe merge …`) and the backticked ones in descriptions (`then \`stackprobe merge\``).
 */
export async function helpCommands(): Promise<{ commands: ShownCommand[]; helps: number }> {
  const paths = commandPaths();
  const outputs = await Promise.all(paths.map(async (p) => ({ p, ...(await capture([...p, '--help'])) })));
  const seen = new Set<string>();
  const commands: ShownCommand[] = [];
  const add = (where: string, text: string): void => {
    if (seen.has(text)) return;
    seen.add(text);
    commands.push({ source: 'help', where, text });
  };
  for (const { p, code, out } of outputs) {
    const where = `stackprobe ${[...p, '--help'].join(' ')}`;
    if (code !== 0) throw new Error(`${where}: exit ${code}\n${out}`);
    // Descriptions wrap at the terminal's width: a span may continue on the next line's indented text.
    const flat = out.replace(/\n\s+/g, ' ');
    for (const line of out.split('\n')) {
      const example = /^\s+\$ (.*?)(?:\s{3,}#\s*(.*))?$/.exec(line);
      if (!example) continue;
      add(where, example[1]!.trim());
      const then = /\bthen:\s*(stackprobe .*)$/.exec(example[2] ?? '');
      if (then) add(where, then[1]!.trim());
    }
    for (const m of flat.matchAll(/`([^`]+)`/g)) if (COMMAND_SPAN.test(m[1]!)) add(where, m[1]!);
  }
  return { commands, helps: outputs.length };
}

/**
 * Placeholders a reader replaces, and what the test puts in their place (in the prepared directories, beside the runs
 * it made). Each is a word of a command as the docs or `--help` spell it. A command named without the arguments it
 * requires (`stackprobe merge` in a sentence) is run as its `--help`.
 */
export const SUBSTITUTIONS: ReadonlyArray<{ shown: RegExp; used: string; why: string }> = [
  { shown: /^(npx )?stackprobe …$/, used: '$1stackprobe --help', why: '"any command": the CLI and its --help' },
  { shown: /(--config|config validate) FILE\b/, used: '$1 my-config.json', why: 'your config file: a small one of the test' },
  { shown: /--output DIR\b/, used: '--output out-dir', why: 'a directory of your choice' },
  { shown: /results\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z-[0-9a-f]+/, used: '{oldestRun}', why: 'a run directory kept in results/: the oldest there' },
  { shown: /(report) (?:RUN|FILE)\b/, used: '$1 results/latest', why: 'a run: the latest one the test made' },
  { shown: /--segment i\/n\b/, used: '--segment 1/2', why: 'the i-th of n segments' },
  { shown: /postgres:\/\/…|postgres:\/\/USER:PASS@HOST\/DB|postgres:\/\/app@db:5432\/app/, used: '$DATABASE_URL', why: "your database: the test's own" },
];

/** `values` fills the `{name}`s of SUBSTITUTIONS that only the prepared directory knows (a run directory's name). */
export function substitute(text: string, values: Record<string, string> = {}): string {
  return SUBSTITUTIONS.reduce((t, s) => t.replace(s.shown, s.used.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m)), text);
}

/** The words of a command line after `stackprobe` (plain, after env assignments, or through npx), else undefined. */
export function stackprobeWords(line: string): string[] | undefined {
  // The shell's part (a redirection, a pipe, a following command) is not the CLI's.
  const words = line.split(/\s(?:>|\||&&|;)\s|\s[#]\s/)[0]!.trim().split(/\s+/).filter(Boolean);
  while (words.length > 0 && /^[A-Z_]+=/.test(words[0]!)) words.shift();
  if (words[0] === 'npx') words.shift();
  return words[0] === 'stackprobe' ? words.slice(1) : undefined;
}

/** Each `stackprobe …` invocation in a block (plain, after env assignments, or through npx): its words. */
export function invocations(text: string): string[][] {
  // A variable the block sets and passes unquoted (`$BASELINE` holding `--baseline FILE`): the words it would give.
  const vars = new Map<string, string>();
  for (const m of text.matchAll(/\b([A-Z_][A-Z0-9_]*)="([^"]+)"/g)) vars.set(m[1]!, m[2]!);
  const out: string[][] = [];
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const code = line.replace(/(^|\s)#.*$/, '').replace(/^\s*(?:-\s+)?(?:run:\s*)?/, '');
    for (const segment of code.split(/&&|\|\||[;|]|\$\(|>/)) {
      const words = stackprobeWords(segment);
      if (words) out.push(words.flatMap((w) => (/^\$[A-Z_][A-Z0-9_]*$/.test(w) ? (vars.get(w.slice(1)) ?? '').split(/\s+/).filter(Boolean) : [w])));
    }
  }
  return out;
}

/** What the CLI's own parser made of a command line, without running it. */
export interface Parsed {
  command: string[];
  /** The options as the action would have received them. */
  opts: Record<string, unknown>;
  args: unknown[];
  /** The command would start a run (the root without --report-only, or `run`): minutes against servers. */
  startsRun: boolean;
  /** It only prints help or the version. */
  helpOnly: boolean;
}

/**
 * Parses `words` with the CLI's own commander program, every action replaced by a recorder: unknown commands and
 * flags, missing arguments and bad choices fail as they would for the user (the error message is returned).
 */
export async function dryParse(words: string[]): Promise<Parsed | string> {
  const program = buildProgram(() => undefined);
  let parsed: Parsed | undefined;
  let errors = '';
  const all: Command[] = [];
  const walk = (cmd: Command, at: string[]): void => {
    all.push(cmd);
    cmd.configureOutput({ writeOut: () => undefined, writeErr: (s) => (errors += s) });
    cmd.action((...received: unknown[]) => {
      const self = received.at(-1) as Command;
      const opts = self.opts();
      const startsRun = at[0] === 'run' || (at.length === 0 && !opts.reportOnly);
      parsed = { command: at, opts, args: received.slice(0, -2), startsRun, helpOnly: false };
    });
    for (const sub of cmd.commands) walk(sub, [...at, sub.name()]);
  };
  walk(program, []);
  try {
    await program.parseAsync(['node', 'stackprobe', ...words]);
    // The root takes stray words so that it can name them (program.ts's unknownCommand): the same verdict here.
    if (parsed?.command.length === 0 && program.args.length > 0) return `unknown command '${program.args[0]}'`;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (e.exitCode === 0) return { command: [], opts: {}, args: [], startsRun: false, helpOnly: true };
    return errors.trim() || e.message || String(err);
  }
  return parsed ?? 'no action ran';
}

/**
 * A run command checked as far as it goes without a server: parsed by the CLI, then its flags, config file and
 * environment validated exactly as `run` does before it starts (src/run/prepare.ts), and the embedded build it would
 * start present. Returns undefined when it would start, else why not.
 */
export async function validateRun(parsed: Parsed, cwd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const flags = { ...parsed.opts } as RunFlags;
  const at = (f: string) => path.resolve(cwd, f);
  if (flags.baseline) flags.baseline = at(flags.baseline);
  try {
    const { config } = await prepareRun({ env, ...(flags.config ? { file: at(flags.config) } : {}), flags: flagsToConfig(flags) }, { onlyFlag: flags.only !== undefined, skipFlag: flags.skip !== undefined });
    if (!config.database_url) await loadBuild(config.embedded.pg_version);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
