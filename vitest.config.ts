import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 90_000,
    // expect.poll waits for background work (ingest batches, jobs, leases). Its 1 s default was
    // too short on a busy two-core machine (a newcomer's run queues jobs in PostgreSQL); a poll
    // still ends as soon as its condition holds.
    expect: { poll: { timeout: 10_000 } },
    // Two cores here: more workers only contend for the database.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
