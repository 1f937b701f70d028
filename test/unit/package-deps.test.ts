// What users install: runtime code imports only runtime dependencies; BullMQ (optional) is loaded on use and its absence
// is a skip with the reason; test tools (playwright-core, ajv) stay in devDependencies.
import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBullmq } from '../../src/checks/tasks/bullmq-lane.js';
import { SkipCheck } from '../../src/util/errors.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

describe('dependencies', () => {
  it('src/ statically imports only node builtins and runtime dependencies', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; optionalDependencies?: Record<string, string>; devDependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).not.toContain('playwright-core');
    expect(Object.keys(pkg.optionalDependencies ?? {})).toContain('bullmq');
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const offending: string[] = [];
    for (const file of await sourceFiles(path.join(ROOT, 'src'))) {
      const text = await readFile(file, 'utf8');
      // `import type` is erased; `import x from 'y'`, `import 'y'` and `export … from 'y'` load at startup.
      for (const m of text.matchAll(/^(?:import(?!\s+type\b)[^'"]*?from\s+|import\s+|export\s+[^'"]*?from\s+)'([^'.][^']*)'/gm)) {
        const name = packageOf(m[1]!.replace(/^node:/, ''));
        if (!allowed.has(name)) offending.push(`${path.relative(ROOT, file)}: ${m[1]}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('a missing optional package is a skip that says how to install it; BullMQ itself loads', async () => {
    const missing = await loadBullmq('stackprobe-no-such-package').then(() => undefined, (err: unknown) => err);
    expect(missing).toBeInstanceOf(SkipCheck);
    expect((missing as Error).message).toContain('npm install stackprobe-no-such-package');
    const bullmq = await loadBullmq();
    expect(typeof bullmq.Queue).toBe('function');
  });
});
