import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Generous: several tests start chatdb processes on PGlite one after another (10-20 s each when
    // the shared 2-core machine is busy). A timeout here only bounds a hang; it asserts no speed.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Two cores: more workers only make PGlite's WASM start-up fight for CPU.
    maxWorkers: 2,
  },
});
