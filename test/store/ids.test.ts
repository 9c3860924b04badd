import { describe, expect, it } from 'vitest';
import { newId } from '../../src/store/ids.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId', () => {
  it('gives distinct UUIDv7s in the order they were made, across many buffer refills', () => {
    const before = Date.now();
    const ids = Array.from({ length: 5000 }, newId);
    const after = Date.now();
    for (const id of ids) expect(id).toMatch(V7);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    // The first 48 bits are the time of making, in ms.
    const ms = (id: string) => Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms(ids[0] as string)).toBeGreaterThanOrEqual(before);
    expect(ms(ids.at(-1) as string)).toBeLessThanOrEqual(after);
  });

  it('draws fresh random bits for every id, past the 1,024 values one refill holds', () => {
    // The last 32 bits are random in every id; a buffer that was never refilled would repeat them.
    const tails = new Set(Array.from({ length: 3000 }, () => newId().slice(-8)));
    expect(tails.size).toBeGreaterThan(2990);
  });
});
