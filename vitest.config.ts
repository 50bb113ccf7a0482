import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 90_000,
    // Two cores here: more workers only contend for the database.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
