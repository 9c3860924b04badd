import { describe, it } from 'vitest';
import { crashCycles } from '../helpers/crash.js';

/**
 * More kill -9 cycles than `npm test` runs (SOAK_CRASH_CYCLES, default 10), each at another moment
 * of the write load (0.3 to 2.8 s in), on one embedded data directory.
 */
const CYCLES = Number(process.env.SOAK_CRASH_CYCLES ?? 10);

describe('repeated crashes of the embedded server', () => {
  it(`${CYCLES} kill -9 during writes, every acknowledged message kept`, () =>
    crashCycles({
      cycles: CYCLES,
      pauseMs: (cycle) => 300 + ((cycle * 733) % 2500),
      report: (line) => process.stdout.write(`${line}\n`),
    }));
});
