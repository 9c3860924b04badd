import { describe, it } from 'vitest';
import { crashCycles } from '../helpers/crash.js';

/**
 * kill -9 of `chatdb serve` on the embedded database while it writes: it must start again on the same
 * data directory (its lock file left behind is taken over), with every acknowledged message there
 * and every session's seqs gap-free. `npm run soak` runs more cycles.
 */
const CYCLES = Number(process.env.CHATDB_CRASH_CYCLES ?? 2);

describe('crash of the embedded server', () => {
  it(`survives ${CYCLES} kill -9 during writes with every acknowledged message kept`, () =>
    crashCycles({ cycles: CYCLES, pauseMs: () => 1500 }));
});
