import { describe, expect, it } from 'vitest';
import { parseAge } from '../../src/cli/commands/abort-stale.js';
import { openDatabase } from '../../src/db/index.js';
import { openPglite } from '../../src/db/pglite.js';
import { createChatDb } from '../../src/store/chatdb.js';
import { chatdb, cliDatabase, tempDir } from '../helpers/cli.js';
import { onRealPostgres } from '../helpers/db.js';

describe('chatdb abort-stale', () => {
  it('reads durations; anything else is a usage error', () => {
    expect([parseAge('500ms'), parseAge('90s'), parseAge('10m'), parseAge('2h'), parseAge('1d')]).toEqual([
      500, 90_000, 600_000, 7_200_000, 86_400_000,
    ]);
    for (const bad of ['10', '-1m', '1.5h', '10 minutes', ''])
      expect(() => parseAge(bad), bad).toThrow('give a duration such as 90s, 10m, 2h or 1d.');
    expect(() => parseAge('36501d')).toThrow('give at most 100 years (36500d).');
  });

  it('marks the replies streaming for longer than the age aborted, prints how many; a bad age exits 2', async () => {
    const cwd = tempDir();
    const target = await cliDatabase();
    const run = (...args: string[]) => chatdb([...args, ...target.args], cwd);
    try {
      expect((await run('init', '--scope', 'chat')).code).toBe(0);
      const db = onRealPostgres
        ? await openDatabase({ url: target.args[1] as string })
        : await openPglite(target.args[1] as string);
      try {
        const chat = createChatDb(db, { logger: () => undefined });
        const s = await chat.sessions.create('auth0|1');
        const reply = {
          role: 'assistant' as const,
          parts: [{ type: 'text', text: 'Once' }],
          status: 'streaming' as const,
        };
        await chat.messages.upsert('auth0|1', s.id, { ...reply, id: 'old' });
        await chat.messages.upsert('auth0|1', s.id, { ...reply, id: 'fresh' });
        await db.transaction(async (tx) => {
          await tx.exec('SET LOCAL session_replication_role = replica'); // skip the updated_at trigger
          await tx.query(
            `UPDATE messages SET updated_at = now() - interval '1 hour' WHERE client_id = 'old'`,
          );
        });
      } finally {
        await db.close();
      }
      const bad = await run('abort-stale', '--older-than', '10 minutes');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(
        /^chatdb: option '--older-than <duration>' argument '10 minutes' is invalid\. give a duration[^\n]*\n$/,
      );
      const r = await run('abort-stale', '--older-than', '10m');
      expect([r.code, r.stdout]).toEqual([0, '1 streaming reply marked aborted\n']);
      const again = await run('abort-stale', '--older-than', '10m', '--json');
      expect(JSON.parse(again.stdout)).toEqual({ aborted: 0 });
      const check = onRealPostgres
        ? await openDatabase({ url: target.args[1] as string })
        : await openPglite(target.args[1] as string);
      try {
        const rows = await check.query('SELECT client_id, status FROM messages ORDER BY client_id');
        expect(rows.rows).toEqual([
          { client_id: 'fresh', status: 'streaming' },
          { client_id: 'old', status: 'aborted' },
        ]);
      } finally {
        await check.close();
      }
    } finally {
      await target.drop();
    }
  }, 180_000);
});
