// npm's `prepare`: builds dist/ unless it was already built from the sources as they are now.
// npm runs `prepare` on `npm ci`, and again on the first `npx stackprobe` in the checkout: npm (10 and later) links a
// package whose own bin is asked for into its npx cache, and runs the linked directory's `prepare` there. A full
// TypeScript build at that point kept a newcomer in front of npm's bare spinner for 20-50 s before the run's first line.
// Skipping is decided by modification times: a stamp written after a successful build, newer than every input.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

const root = path.resolve(import.meta.dirname, '..');
const stamp = path.join(root, 'dist', '.build-stamp');
const inputs = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'].map((f) => path.join(root, f));

/** The newest modification time among the build's inputs: every file under src/ and the build's configuration. */
function newestInput() {
  const src = path.join(root, 'src');
  const files = [...inputs, ...readdirSync(src, { recursive: true }).map((f) => path.join(src, String(f)))];
  return Math.max(...files.filter((f) => existsSync(f)).map((f) => statSync(f).mtimeMs));
}

const built = existsSync(stamp) && existsSync(path.join(root, 'dist', 'cli', 'main.js')) && statSync(stamp).mtimeMs >= newestInput();
if (built) {
  process.stdout.write('stackprobe: dist/ is up to date with src/ (build skipped)\n');
} else {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}
