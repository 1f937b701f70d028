import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/sequencer.js';

// Files whose assertions rest on timings, throughput or the host's CPU (latency figures, budgets of a few seconds,
// saturation, load stages): they run one at a time after everything else, on a machine no other test file is loading.
const TIMED = [
  'test/integration/attack-sessions.test.ts',
  'test/integration/backup-drill-physical.test.ts',
  'test/integration/bench-smoke.test.ts',
  'test/integration/cache-*.test.ts',
  'test/integration/html-chromium.test.ts',
  // load-hostile exits 2 before any server is touched; pg-wire-tls and pg-wire-protocol assert messages and sslmode
  // outcomes (one 20 s bound): none rests on timing, so they run in the shared lane (extglob: all but those).
  'test/integration/load-!(hostile).test.ts',
  'test/integration/pg-wire.test.ts',
  'test/integration/pool-*.test.ts',
  'test/integration/queries*.test.ts',
  'test/integration/redis-wire*.test.ts',
  'test/integration/saturation-probe.test.ts',
  'test/integration/segments*.test.ts',
  'test/integration/stall.test.ts',
  'test/integration/tasks-*.test.ts',
];

const shared = { testTimeout: 120_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    reporters: ['default'],
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        // Correctness tests against real services: each owns its database, schema, key prefix, queue or private
        // server, so two at a time is safe, and it halves the time they wait on servers.
        test: {
          ...shared,
          name: 'shared',
          include: ['test/**/*.test.ts'],
          exclude: TIMED,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'timed',
          include: TIMED,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
