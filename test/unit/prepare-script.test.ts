// npm's `prepare` (scripts/prepare.mjs) builds once per change of the sources: `npm ci` builds, the first
// `npx stackprobe` (which runs `prepare` again) does not, and an edited source builds again.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(os.tmpdir(), 'stackprobe-prepare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A project with the real prepare script and a build that counts its runs instead of compiling. */
function project(): void {
  mkdirSync(path.join(dir, 'scripts'), { recursive: true });
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  copyFileSync(path.resolve(import.meta.dirname, '../../scripts/prepare.mjs'), path.join(dir, 'scripts/prepare.mjs'));
  writeFileSync(path.join(dir, 'src/index.ts'), 'export {};\n');
  const build = "const fs=require('fs');fs.mkdirSync('dist/cli',{recursive:true});fs.writeFileSync('dist/cli/main.js','');fs.appendFileSync('builds','x')";
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'p', version: '0.0.0', scripts: { build: `node -e "${build}"` } }));
}

const prepare = () => spawnSync('node', ['scripts/prepare.mjs'], { cwd: dir, encoding: 'utf8' });
const builds = () => readFileSync(path.join(dir, 'builds'), 'utf8').length;

describe('scripts/prepare.mjs', () => {
  it('builds when nothing is built, skips while the sources are unchanged, builds again after a source changes', () => {
    project();
    expect(prepare().status).toBe(0);
    expect(builds()).toBe(1);
    const again = prepare();
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('build skipped');
    expect(builds()).toBe(1);
    // A source saved a minute after the last build.
    const later = statSync(path.join(dir, 'dist/.build-stamp')).mtimeMs / 1000 + 60;
    utimesSync(path.join(dir, 'src/index.ts'), later, later);
    expect(prepare().status).toBe(0);
    expect(builds()).toBe(2);
    // dist/ removed with the stamp left behind: built again.
    rmSync(path.join(dir, 'dist/cli/main.js'));
    expect(prepare().status).toBe(0);
    expect(builds()).toBe(3);
  });
});
