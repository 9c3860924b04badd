import { describe, expect, it } from 'vitest';
import { type ChatDbError, isChatDbError } from '../../src/errors.js';
import * as v from '../../src/store/validate.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return isChatDbError(e) ? e.code : 'not a ChatDbError';
  }
};
const detail = (fn: () => unknown): string => {
  try {
    fn();
    return '';
  } catch (e) {
    return (e as ChatDbError).details[0]?.path ?? '';
  }
};

describe('validate', () => {
  it('accepts practical email addresses and rejects the rest', () => {
    for (const ok of [
      'a@b.co',
      'First.Last+tag@Example.COM',
      "o'hara@sub.domain.example",
      '用户@例子.广告',
      `${'a'.repeat(64)}@example.com`,
    ])
      expect(v.email(ok)).toBe(ok);
    for (const bad of [
      '',
      'plain',
      '@example.com',
      'a@',
      'a@b',
      'a@b.123',
      'a..b@example.com',
      '.a@example.com',
      'a.@example.com',
      'a b@example.com',
      ' a@example.com',
      'a@-example.com',
      'a@example-.com',
      'a@exa_mple.com',
      `${'a'.repeat(65)}@example.com`,
      `a@${'b'.repeat(250)}.com`,
      'a\u0000@example.com',
      42,
    ])
      expect(code(() => v.email(bad))).toBe('invalid_input');
  });

  it('passwords are 8..1024 characters', () => {
    expect(v.password('12345678')).toBe('12345678');
    expect(v.password('x'.repeat(1024))).toHaveLength(1024);
    expect(code(() => v.password('1234567'))).toBe('invalid_input');
    expect(code(() => v.password('x'.repeat(1025)))).toBe('invalid_input');
    expect(code(() => v.password('abc\u0000defgh'))).toBe('invalid_input');
  });

  it('text rejects NUL and lone surrogates, keeps emoji and RTL text', () => {
    expect(v.text('t', '👍🏽 مرحبا שלום', 100)).toBe('👍🏽 مرحبا שלום');
    expect(code(() => v.text('t', 'a\u0000b', 100))).toBe('invalid_input');
    expect(code(() => v.text('t', 'a\ud800b', 100))).toBe('invalid_input');
    expect(code(() => v.text('t', 'a\udc00', 100))).toBe('invalid_input');
    expect(code(() => v.text('t', 'abc', 2))).toBe('invalid_input');
    expect(code(() => v.text('t', 5, 2))).toBe('invalid_input');
    expect(detail(() => v.text('title', 'a\u0000', 9))).toBe('title');
  });

  it('metadata must be a JSON object of storable values, at most 64 KiB', () => {
    expect(v.metadata('m', { a: [1, 'x', null, { b: true }] })).toEqual({ a: [1, 'x', null, { b: true }] });
    for (const bad of [
      null,
      [],
      'x',
      1,
      new Date(),
      { a: Number.NaN },
      { a: Infinity },
      { a: () => 1 },
      { a: 1n },
    ])
      expect(code(() => v.metadata('m', bad))).toBe('invalid_input');
    expect(code(() => v.metadata('m', { a: 'x\u0000' }))).toBe('invalid_input');
    expect(code(() => v.metadata('m', { 'k\u0000': 1 }))).toBe('invalid_input');
    expect(code(() => v.metadata('m', { a: ['\ud83d'] }))).toBe('invalid_input');
    expect(code(() => v.metadata('m', { a: 'x'.repeat(64 * 1024) }))).toBe('invalid_input');
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(code(() => v.metadata('m', deep))).toBe('invalid_input');
    expect(detail(() => v.metadata('metadata', { a: { b: 'x\u0000' } }))).toBe('metadata.a.b');
  });

  it('malformed ids are not_found, never a driver error', () => {
    expect(code(() => v.uuid('session', 'nope'))).toBe('not_found');
    expect(code(() => v.uuid('session', "'; drop table users; --"))).toBe('not_found');
    expect(v.uuid('session', '0190a1b2-0000-7000-8000-000000000000')).toBeTruthy();
    expect(code(() => v.userId(''))).toBe('not_found');
    expect(code(() => v.userId('x'.repeat(256)))).toBe('not_found');
    expect(v.userId('user_2abc')).toBe('user_2abc');
  });

  it('roles, levels, languages and idempotency keys are literal sets', () => {
    expect(v.role('assistant')).toBe('assistant');
    expect(code(() => v.role('admin'))).toBe('invalid_input');
    expect(v.experienceLevel(null)).toBeNull();
    expect(code(() => v.experienceLevel('expert'))).toBe('invalid_input');
    expect(v.language('pt-BR')).toBe('pt-BR');
    expect(code(() => v.language('English'))).toBe('invalid_input');
    expect(v.idempotencyKey('abc-123_!~')).toBe('abc-123_!~');
    expect(v.idempotencyKey(undefined)).toBeNull();
    for (const bad of ['', 'has space', 'é', 'x'.repeat(256)])
      expect(code(() => v.idempotencyKey(bad))).toBe('invalid_input');
  });

  it('citations: defaults, ranges, unique citation_index, at most 100', () => {
    expect(v.citations([{ documentId: 'a' }, { documentId: 'b', citationIndex: 5, score: 1 }])).toEqual([
      { citation_index: 1, document_id: 'a', chunk_id: null, score: null, excerpt: null, metadata: {} },
      { citation_index: 5, document_id: 'b', chunk_id: null, score: 1, excerpt: null, metadata: {} },
    ]);
    const bad = [
      [{ documentId: '' }],
      [{ documentId: 'x'.repeat(1001) }],
      [{ documentId: 'a', score: 1.01 }],
      [{ documentId: 'a', score: -0.1 }],
      [{ documentId: 'a', score: Number.NaN }],
      [{ documentId: 'a', citationIndex: 0 }],
      [{ documentId: 'a', citationIndex: 1.5 }],
      [{ documentId: 'a' }, { documentId: 'b', citationIndex: 1 }],
      Array.from({ length: 101 }, () => ({ documentId: 'a' })).map((c, i) => ({
        ...c,
        citationIndex: i + 1,
      })),
      'not an array',
      [null],
    ];
    for (const b of bad) expect(code(() => v.citations(b))).toBe('invalid_input');
    expect(detail(() => v.citations([{ documentId: 'a' }, { documentId: 'b', citationIndex: 1 }]))).toBe(
      'citations[1].citation_index',
    );
  });
});
