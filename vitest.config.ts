import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/sequencer.js';

// Files whose assertions rest on timings, throughput or the host's CPU (latency figures, budgets of a few seconds,
// saturation, load stages): they run after everything else, on a machine no shared file is loading, in two groups.
// backup-drill-physical is not one: it asserts recovery outcomes, row counts and files, and its two bounds are 30 s
// around a 6 s check budget. Nor is html-chromium: it asserts what the pages show and that the live one moves, with
// waits of 10-60 s, and takes exit 3 (a saturated client) as a run like any other. Both run in the shared lane
// (html-chromium passed there beside two shared files at load average 10-17).
//
// TIMED_ALONE measure how much the host can do (throughput, saturation, sweeps to a knee): each had the host 45-86 %
// busy on its own (2 cores, sampled from /proc/stat in a full run), so a neighbour would move their figures. They run
// one at a time, last.
const TIMED_ALONE = [
  'test/integration/cache-!(stall|server-window|private).test.ts',
  'test/integration/pool-*.test.ts',
  'test/integration/queries*.test.ts',
  'test/integration/redis-wire*.test.ts',
  'test/integration/saturation-probe.test.ts',
  'test/integration/segments-attacks.test.ts',
];

// TIMED_PACED wait on what they set going: load stages at a fixed offered rate, statements that sleep, Celery workers
// and countdowns, windows of a set length. Each kept the host 7-38 % busy alone, and their limits are set by those
// sleeps, rates and windows, not by the host's speed. Three at a time kept the host at most 85 % busy (four: 93 %,
// where a load run starts to be judged untrusted), about what one TIMED_ALONE file takes on its own.
const TIMED_PACED = [
  'test/integration/attack-sessions.test.ts',
  'test/integration/cache-@(stall|server-window|private).test.ts',
  // load-hostile exits 2 before any server is touched; load-lost-redis kills the load's Redis connections once it has
  // read the cache 20 times and asserts the check fails with that reason and leaves no key (passed twice beside
  // prom-every-service); pg-wire-tls and pg-wire-protocol assert messages and sslmode outcomes (one 20 s bound): none
  // rests on timing, so they run in the shared lane (extglob: all but those).
  'test/integration/load-!(hostile|lost-redis).test.ts',
  'test/integration/pg-wire.test.ts',
  'test/integration/segments.test.ts',
  'test/integration/stall.test.ts',
  // tasks-app-unacked counts messages planted in a private redis-server; tasks-errors judges how tasks end (each result
  // may take 10 s); tasks-lost-broker asserts that a lost broker fails a check with its reason and a killed run's keys
  // are reaped; tasks-amqp-management counts the ready and unacknowledged messages of a queue on a private RabbitMQ
  // (waiting up to 20 s for its management API to show them): none rests on timing, so they run in the shared lane
  // (tasks-amqp-management passed there twice beside prom-every-service, a quick run with every service). bench-smoke
  // is there too: its floors (100 operations a second, figures above 0) are far below what any loaded host measures;
  // speed is `npm run bench`'s. attack-sessions-lost (lost sessions fail checks, never the run) is outside this list as
  // well.
  'test/integration/tasks-!(app-unacked|errors|lost-broker|amqp-management).test.ts',
];

const TIMED = [...TIMED_ALONE, ...TIMED_PACED];

// Unit files whose assertions bound elapsed time: each keeps a process of its own. In a worker that had run other files
// first (compare-model's 120 histogram pairs), the bounded-input bombs case took 14–19 s against its 15 s bound, 7 s
// in a fresh one; the executor's figures are real sleeps and timers.
const UNIT_TIMED = ['test/unit/bounded-input.test.ts', 'test/unit/executor.test.ts'];

const shared = { testTimeout: 120_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    reporters: ['default'],
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        // Pure logic: no servers, no environment or module state changed by a test (no vi.mock, vi.stubEnv,
        // process.env writes). Without isolation a worker imports the product's modules once for all these files
        // instead of once per file: the unit files' CPU time fell from 66 s to 38 s (user time, same machine).
        test: {
          ...shared,
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: UNIT_TIMED,
          isolate: false,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Correctness tests against real services: each owns its database, schema, key prefix, queue or private
        // server, so two at a time is safe, and it halves the time they wait on servers.
        test: {
          ...shared,
          name: 'shared',
          include: ['test/integration/**/*.test.ts', ...UNIT_TIMED],
          exclude: TIMED,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'timed-paced',
          include: TIMED_PACED,
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          ...shared,
          name: 'timed-alone',
          include: TIMED_ALONE,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
