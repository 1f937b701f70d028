// No check and no part of the workload reads a credential of its target (docs/connections.md): TypeScript's own
// checker resolves every property read in src/checks and src/workload, and a read of a member declared under
// src/targets that is named `url` or `password` (unless marked @redacted) or is marked @credential fails the test.
// Checks hand a target's spec on (to a worker thread, a wire session) without reading it.
import { readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');
const TARGETS = join(SRC, 'targets') + sep;
const SCANNED = ['checks', 'workload'].map((d) => join(SRC, d) + sep);
const PLANTED = join(SRC, 'checks', '__planted_credential_reads__.ts');

/** A check that reads what it must not; the test shows the scan names each read. */
const PLANTED_TEXT = `
import type { CheckContext } from './types.js';
import type { SessionTarget } from '../targets/pg/wire/session.js';
import type { PgBouncerAdmin } from '../targets/pgbouncer/admin.js';
import type { RedisWireSpec } from '../targets/redis/connect.js';
export function planted(ctx: CheckContext, st: SessionTarget, console: PgBouncerAdmin, wire: RedisWireSpec): unknown[] {
  const hidden = wire.url;
  const pgt = ctx.targets.pg!;
  const { spec: destructured } = pgt;
  const worker = pgt.workerTarget();
  return [pgt.spec.password, pgt['spec'], destructured, worker.spec, pgt.libpq({ applicationName: 'x' }), st.url, console.url, pgt.location.user, hidden];
}
`;

function program(extra?: { file: string; text: string }): ts.Program {
  const configFile = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
  const roots = SCANNED.flatMap((dir) => (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f)));
  const host = ts.createCompilerHost(options);
  if (extra) {
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, ...rest) => (resolve(name) === extra.file ? ts.createSourceFile(name, extra.text, lang) : getSourceFile(name, lang, ...rest));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => resolve(name) === extra.file || fileExists(name);
    roots.push(extra.file);
  }
  return ts.createProgram({ rootNames: roots, options, host });
}

const tagged = (decl: ts.Declaration, tag: string) => ts.getJSDocTags(decl).some((t) => t.tagName.text === tag);

/** A member of a target that holds a secret: marked @credential, or a URL or password not marked @redacted. */
function isCredential(symbol: ts.Symbol | undefined): boolean {
  for (const decl of symbol?.declarations ?? []) {
    const file = resolve(decl.getSourceFile().fileName);
    if (!file.startsWith(TARGETS)) continue;
    if (tagged(decl, 'credential')) return true;
    if ((symbol!.name === 'url' || symbol!.name === 'password') && !tagged(decl, 'redacted')) return true;
  }
  return false;
}

/** `file:line name` of every read of a credential in src/checks and src/workload. */
function credentialReads(p: ts.Program): string[] {
  const checker = p.getTypeChecker();
  const out: string[] = [];
  for (const sf of p.getSourceFiles()) {
    const file = resolve(sf.fileName);
    if (!SCANNED.some((dir) => file.startsWith(dir))) continue;
    const note = (node: ts.Node, name: string) => out.push(`${relative(SRC, file).split(sep).join('/')}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${name}`);
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAccessExpression(node) && isCredential(checker.getSymbolAtLocation(node.name))) note(node, node.name.text);
      if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) {
        const name = node.argumentExpression.text;
        if (isCredential(checker.getTypeAtLocation(node.expression).getProperty(name))) note(node, name);
      }
      if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
        const key = node.propertyName ?? node.name;
        const name = ts.isIdentifier(key) || ts.isStringLiteralLike(key) ? key.text : undefined;
        if (name !== undefined && isCredential(checker.getTypeAtLocation(node.parent).getProperty(name))) note(node, name);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out.sort();
}

describe('credential reads', () => {
  const p = program({ file: PLANTED, text: PLANTED_TEXT });
  const reads = credentialReads(p);

  it('are none in src/checks and src/workload', () => {
    expect(reads.filter((r) => !r.startsWith('checks/__planted'))).toEqual([]);
    // The scan saw the checks themselves: the program holds them, type-checked.
    expect(p.getSourceFiles().some((f) => resolve(f.fileName) === join(SRC, 'checks/load/worker-runner.ts'))).toBe(true);
  }, 120_000);

  it('catches a planted read of each kind, and passes a redacted URL and a secret-free location', () => {
    const planted = reads.filter((r) => r.startsWith('checks/__planted')).map((r) => r.replace(/^[^ ]+ /, ''));
    expect(planted.sort()).toEqual(['libpq', 'password', 'spec', 'spec', 'spec', 'spec', 'url'].sort());
  });

  it('hides the Redis measuring path\'s URL from a check: its spec has no field to read', () => {
    const errors = ts.getPreEmitDiagnostics(p, p.getSourceFile(PLANTED)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(errors).toEqual([expect.stringMatching(/Property 'url' does not exist on type 'RedisWireSpec'/)]);
  });
});
