import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests share real services; running files one at a time keeps their timings honest.
    fileParallelism: false,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
