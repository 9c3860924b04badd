import { defineConfig } from 'vitest/config';

/** `npm run soak`: the long reliability runs (test/soak/*.soak.ts), one file at a time; never part of `npm test`. */
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 15 * 60_000,
    hookTimeout: 120_000,
    // The real server the soak runs on (scratch databases are made and dropped there).
    env: { TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
