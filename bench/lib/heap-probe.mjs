// Preloaded into the CLI's process by figure 5 (node --expose-gc --import <this>): every few seconds a full GC, then
// what is still reachable, appended to the file named by STACKPROBE_BENCH_HEAP_FILE as "seconds heapUsed external
// arrayBuffers" (bytes). RSS alone mixes retained memory with how large V8 chose to let its heap grow; this is the part
// a leak would grow. Only the bench loads it: the product has no such hook.
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setInterval } from 'node:timers';
import process from 'node:process';

const file = process.env.STACKPROBE_BENCH_HEAP_FILE;
const everyMs = Number(process.env.STACKPROBE_BENCH_HEAP_EVERY_MS ?? 5000);

if (file && typeof globalThis.gc === 'function') {
  const gc = globalThis.gc;
  const timer = setInterval(() => {
    gc();
    const m = process.memoryUsage();
    appendFileSync(file, `${(performance.now() / 1000).toFixed(2)} ${m.heapUsed} ${m.external} ${m.arrayBuffers}\n`);
  }, everyMs);
  // The probe never keeps the CLI alive.
  timer.unref();
}
