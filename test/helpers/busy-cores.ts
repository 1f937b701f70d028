// Test helper: child processes that each keep one core busy, to measure on a host as loaded as a CI runner whose
// services run beside the tool. Each caller keeps its own list and kills it in afterEach/afterAll (stopBusy).
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from '../../src/exec/timeout.js';

/** Starts a child spinning on one core, adds it to `children`, and resolves once it spins. */
export async function busyCore(children: ChildProcess[]): Promise<void> {
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("go\\n"); for (;;) {}'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let started = false;
  child.stdout!.on('data', () => (started = true));
  await waitFor(() => started, 10_000, 'the busy child to start');
}

/** Kills every child of `children` and empties the list. */
export function stopBusy(children: ChildProcess[]): void {
  for (const c of children.splice(0)) c.kill('SIGKILL');
}
