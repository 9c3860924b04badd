import { beforeAll, describe, expect, it } from 'vitest';
import { isChatDbError } from '../../src/errors.js';
import { ALL_TABLES } from '../helpers/migrations.js';
import { makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);

/**
 * A small, fully known dataset: alice (3 sessions), bob (1), carol (none, no profile).
 * alice's first session and its messages are moved 10 days back.
 */
const data = { alice: '', bob: '', carol: '', aliceOld: '', aliceNoReply: '', aliceEmpty: '', bobS: '' };
beforeAll(async () => {
  const q = fx.chat;
  data.alice = await makeUser(fx.db, 'alice@example.com');
  data.bob = await makeUser(fx.db, 'bob@example.com');
  data.carol = await makeUser(fx.db, 'carol@example.com');
  await q.profiles.upsert(data.alice, { experienceLevel: 'advanced', preferredLanguage: 'en' });
  await q.profiles.upsert(data.bob, { experienceLevel: 'beginner', preferredLanguage: 'ur' });
  data.aliceOld = (await q.sessions.create(data.alice, { title: 'old' })).id;
  data.aliceNoReply = (await q.sessions.create(data.alice, { title: 'no reply' })).id;
  data.aliceEmpty = (await q.sessions.create(data.alice, { title: 'empty' })).id;
  data.bobS = (await q.sessions.create(data.bob, { title: 'bob' })).id;
  const ask = (content: string, selectedText?: string) => ({ role: 'user' as const, content, selectedText });
  const answer = (docs: [string, number | null][]) => ({
    role: 'assistant' as const,
    content: 'answer',
    citations: docs.map(([documentId, score]) => ({ documentId, score })),
  });
  await q.messages.append(data.alice, data.aliceOld, ask('q1', 'selected'));
  await q.messages.append(
    data.alice,
    data.aliceOld,
    answer([
      ['old-doc', 0.2],
      ['doc-a', 0.4],
    ]),
  );
  await q.messages.append(data.alice, data.aliceNoReply, ask('q2'));
  await q.messages.append(data.alice, data.aliceNoReply, { role: 'system', content: 'sys' });
  await q.messages.append(data.bob, data.bobS, ask('q3', 'sel'));
  await q.messages.append(
    data.bob,
    data.bobS,
    answer([
      ['doc-a', 0.8],
      ['doc-b', null],
    ]),
  );
  await q.messages.append(data.bob, data.bobS, ask('q4'));
  await q.messages.append(data.bob, data.bobS, answer([]));
  const old = daysAgo(10);
  await fx.db.query('UPDATE chat_sessions SET created_at = $2, last_message_at = $2 WHERE id = $1', [
    data.aliceOld,
    old,
  ]);
  await fx.db.query('UPDATE messages SET created_at = $2 WHERE session_id = $1', [data.aliceOld, old]);
  await fx.db.query(
    'UPDATE message_citations SET created_at = $2 WHERE message_id IN (SELECT id FROM messages WHERE session_id = $1)',
    [data.aliceOld, old],
  );
  await fx.db.query("UPDATE users SET created_at = $2 WHERE email = 'carol@example.com' OR id = $1", [
    data.alice,
    daysAgo(30),
  ]);
  const t = await q.tokens.issue(data.bob);
  await q.tokens.issue(data.bob);
  await q.tokens.revoke(t.token);
  const e = await q.tokens.issue(data.alice);
  await fx.db.query("UPDATE auth_tokens SET expires_at = now() - interval '1 hour' WHERE user_id = $1", [
    data.alice,
  ]);
  expect(e.token).toBeTruthy();
});

describe('chat reports', () => {
  const r = () => fx.chat.queries;

  it('counts per user, day, role and hour', async () => {
    expect(await r().sessionsPerUser()).toEqual([
      { userId: data.alice, sessions: 3, messages: 4 },
      { userId: data.bob, sessions: 1, messages: 4 },
    ]);
    const perDay = await r().messagesPerDay();
    expect(perDay.reduce((n, d) => n + d.count, 0)).toBe(8);
    expect(perDay[0]).toEqual({ day: daysAgo(10).toISOString().slice(0, 10), count: 2 });
    expect((await r().messagesPerDay({ since: daysAgo(1) })).reduce((n, d) => n + d.count, 0)).toBe(6);
    expect((await r().sessionsPerDay()).map((d) => d.count)).toEqual([1, 3]);
    expect(await r().messagesPerRole()).toEqual([
      { role: 'user', messages: 4 },
      { role: 'assistant', messages: 3 },
      { role: 'system', messages: 1 },
    ]);
    const hours = await r().busiestHours();
    expect(hours.reduce((n, h) => n + h.messages, 0)).toBe(8);
    expect(hours.every((h) => h.hour >= 0 && h.hour <= 23)).toBe(true);
  });

  it('session length statistics, histogram, longest, idle, recent, without reply', async () => {
    expect(await r().averageSessionLength()).toEqual({
      sessions: 4,
      avgMessages: 2,
      medianMessages: 2,
      maxMessages: 4,
    });
    expect((await r().averageSessionLength({ since: daysAgo(1) })).sessions).toBe(3);
    const hist = await r().sessionLengthHistogram();
    expect(hist.map((b) => b.bucket)).toEqual([
      '0',
      '1-2',
      '3-5',
      '6-10',
      '11-20',
      '21-50',
      '51-100',
      '101+',
    ]);
    expect(hist.map((b) => b.sessions)).toEqual([1, 2, 1, 0, 0, 0, 0, 0]);
    expect((await r().longestSessions({ limit: 1 })).map((s) => s.id)).toEqual([data.bobS]);
    expect((await r().idleSessions({ idleSince: daysAgo(1) })).map((s) => s.id)).toEqual([data.aliceOld]);
    const listed = (await fx.chat.sessions.list(data.alice)).data.map((s) => s.id);
    expect((await r().recentSessions({ userId: data.alice })).map((s) => s.id)).toEqual(listed);
    expect(listed).toHaveLength(3);
    expect(await r().recentSessions({ limit: 2 })).toHaveLength(2);
    expect((await r().sessionsWithoutAssistantReply()).map((s) => s.id)).toEqual([data.aliceNoReply]);
  });

  it('users: most active, active in a window', async () => {
    expect(await r().mostActiveUsers({ since: daysAgo(1) })).toEqual([
      { userId: data.bob, sessions: 1, messages: 4 },
      { userId: data.alice, sessions: 1, messages: 2 },
    ]);
    expect(await r().activeUsers({ since: daysAgo(1) })).toBe(2);
    expect(await r().activeUsers({ since: new Date(Date.now() + DAY) })).toBe(0);
  });

  it('selected text, citations per answer, scores, documents', async () => {
    expect(await r().selectedTextRatio()).toEqual({ userMessages: 4, withSelectedText: 2, ratio: 0.5 });
    expect(await r().citationsPerAnswer()).toEqual({
      assistantMessages: 3,
      citations: 4,
      avgCitations: 4 / 3,
      uncited: 1,
    });
    expect(await r().citationsPerAnswer({ since: daysAgo(1) })).toEqual({
      assistantMessages: 2,
      citations: 2,
      avgCitations: 1,
      uncited: 1,
    });
    const stats = await r().citationScoreStats();
    expect(stats).toMatchObject({ citations: 4, scored: 3, min: 0.2, max: 0.8, p50: 0.4 });
    expect(stats.avg).toBeCloseTo(0.4666, 3);
    expect((await r().mostCitedDocuments()).map((d) => [d.documentId, d.citations])).toEqual([
      ['doc-a', 2],
      ['doc-b', 1],
      ['old-doc', 1],
    ]);
    expect((await r().staleDocuments({ notCitedSince: daysAgo(1) })).map((d) => d.documentId)).toEqual([
      'old-doc',
    ]);
    expect((await r().messagesCitingDocument('doc-a', { userId: data.bob })).map((m) => m.sessionId)).toEqual(
      [data.bobS],
    );
    const sizes = await r().tableSizes();
    expect(sizes.map((t) => t.table)).toEqual(ALL_TABLES);
    expect(sizes.every((t) => t.totalBytes > 0)).toBe(true);
  });

  it('validates options', async () => {
    const bad = [
      r().messagesPerDay({ since: new Date('nope') }),
      r().sessionsPerUser({ limit: 0 }),
      r().idleSessions({} as unknown as { idleSince: Date }),
      r().recentSessions({ userId: '' }),
    ];
    for (const p of bad)
      await expect(p).rejects.toSatisfy(
        (e) => isChatDbError(e, 'invalid_input') || isChatDbError(e, 'not_found'),
      );
  });

  it('dates outside years 1..9999 are invalid_input on the option, never a driver error', async () => {
    const q = fx.chat.queries;
    const reports: [string, (d: Date) => Promise<unknown>][] = [
      ['since', (since) => q.messagesPerDay({ since })],
      ['since', (since) => q.sessionsPerDay({ since })],
      ['since', (since) => q.averageSessionLength({ since })],
      ['since', (since) => q.mostActiveUsers({ since })],
      ['since', (since) => q.activeUsers({ since })],
      ['since', (since) => q.messagesPerRole({ since })],
      ['since', (since) => q.busiestHours({ since })],
      ['since', (since) => q.selectedTextRatio({ since })],
      ['since', (since) => q.citationsPerAnswer({ since })],
      ['since', (since) => q.citationScoreStats({ since })],
      ['since', (since) => q.mostCitedDocuments({ since })],
      ['since', (since) => fx.chat.citations.mostCited({ since })],
      ['since', (since) => fx.chat.citations.mostCited({ since, userId: data.alice })],
      ['since', (since) => q.signupsPerDay({ since })],
      ['since', (since) => q.inactiveUsers({ since })],
      ['idleSince', (idleSince) => q.idleSessions({ idleSince })],
      ['notCitedSince', (notCitedSince) => q.staleDocuments({ notCitedSince })],
    ];
    // JS's extremes, just before year 1 (and 1 BC, which PGlite reads as a bad format), year 10000.
    const outside = [
      new Date(-8.64e15),
      new Date(8.64e15),
      new Date(-62198755200001),
      new Date(-62135596800001),
      new Date(253402300800000),
    ];
    for (const [path, run] of reports)
      for (const d of outside) {
        const e = await run(d).then(
          () => null,
          (x: unknown) => x,
        );
        expect(isChatDbError(e, 'invalid_input') && e.details[0]?.path, `${path} ${d.toISOString()}`).toBe(
          path,
        );
      }
    // The edges themselves are accepted.
    expect(await q.messagesPerDay({ since: new Date('0001-01-01T00:00:00.000Z') })).toHaveLength(2);
    expect(await q.messagesPerDay({ since: new Date('9999-12-31T23:59:59.999Z') })).toEqual([]);
    expect(await q.idleSessions({ idleSince: new Date('0001-01-01T00:00:00.000Z') })).toEqual([]);
  });
});

describe('auth reports', () => {
  const r = () => fx.chat.queries;
  it('signups, counts, inactive users, profiles, languages, tokens', async () => {
    expect((await r().signupsPerDay()).map((d) => d.count)).toEqual([2, 1]);
    expect((await r().signupsPerDay({ since: daysAgo(1) })).map((d) => d.count)).toEqual([1]);
    expect(await r().userCounts()).toEqual({ total: 3, active: 3, inactive: 0 });
    expect((await r().inactiveUsers({ since: daysAgo(5) })).map((u) => u.email)).toEqual([
      'carol@example.com',
    ]);
    expect((await r().usersWithoutProfile()).map((u) => u.email)).toEqual(['carol@example.com']);
    expect(await r().experienceLevels()).toEqual([
      { level: 'advanced', users: 1 },
      { level: 'beginner', users: 1 },
    ]);
    expect(await r().preferredLanguages()).toEqual([
      { language: 'en', users: 1 },
      { language: 'ur', users: 1 },
    ]);
    expect(await r().tokenCounts()).toEqual({ active: 1, expired: 1, revoked: 1 });
  });
});
