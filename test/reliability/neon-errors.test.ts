import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { ChatDbError } from '../../src/errors.js';
import { fakePostgres } from '../cli/fake-postgres.js';

/**
 * Neon's proxy reports its own failures as SQLSTATE XX000: while a compute wakes up ("Couldn't
 * connect to compute node"), which a retry outlives, and for an endpoint that is disabled, which no
 * retry fixes. A fake server answers each at the startup message, as the proxy does.
 */
describe("Neon's proxy errors at connect", () => {
  it('"Couldn\'t connect to compute node" is retried like a refused connection, then one clear line', async () => {
    const server = await fakePostgres('XX000', "Couldn't connect to compute node");
    const log: string[] = [];
    try {
      const e = await openDatabase({
        url: `postgres://app:s3cret-pw@127.0.0.1:${server.port}/neondb`,
        connectRetries: 2,
        logger: (m) => log.push(m),
      }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ChatDbError);
      expect(e).toMatchObject({ code: 'db_unavailable' });
      const message = (e as Error).message;
      expect(message).toMatch(/Couldn't connect to compute node; gave up after 3 attempts$/);
      expect(message).not.toContain('\n');
      expect(server.connections()).toBe(3);
      expect(
        log.filter((l) => /Couldn't connect to compute node; retry \d\/2 in \d+ ms/.test(l)),
      ).toHaveLength(2);
      expect(`${message}\n${log.join('\n')}`).not.toContain('s3cret-pw');
    } finally {
      await server.close();
    }
  });

  it('"endpoint is disabled" is not retried: one attempt, one line saying what to do', async () => {
    const server = await fakePostgres(
      'XX000',
      'The endpoint has been disabled. Enable it using Neon API and retry.',
    );
    const log: string[] = [];
    try {
      const e = await openDatabase({
        url: `postgres://app:s3cret-pw@127.0.0.1:${server.port}/neondb`,
        connectRetries: 4,
        logger: (m) => log.push(m),
      }).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'db_unavailable' });
      expect((e as Error).message).toMatch(
        /endpoint has been disabled.*enable it in the Neon console or API/,
      );
      expect(server.connections()).toBe(1);
      expect(log).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
