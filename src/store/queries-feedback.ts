/**
 * Feedback reports (scope `chat` or `all`): ratings per day, the worst-rated answers, and the
 * documents that down-rated answers cite. Times are UTC; `since` (omitted: all time) bounds when a
 * rating was last set. docs/queries.md lists them with the rest.
 */
import { withCheckedOptions } from './options.js';
import { toDate } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { Rating } from './types.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

export interface FeedbackDay {
  /** `YYYY-MM-DD` (UTC) of the rating's last change. */
  readonly day: string;
  readonly up: number;
  readonly down: number;
}

/** A down-rated answer, for review. */
export interface RatedAnswer {
  readonly userId: string;
  readonly sessionId: string;
  /** The message's public (client) id. */
  readonly messageId: string;
  readonly rating: Rating;
  readonly comment: string | null;
  readonly tags: string[];
  /** The first 200 characters of the answer. */
  readonly excerpt: string;
  readonly ratedAt: Date;
}

/** A document cited by down-rated answers. */
export interface DownRatedDocument {
  readonly documentId: string;
  /** Down-rated answers citing it. */
  readonly answers: number;
  /** Its citations in those answers (an answer may cite it more than once). */
  readonly citations: number;
  readonly lastRatedAt: Date;
}

/** The statements, by report name: the plan tests and docs/queries.md read them from here. */
export const FEEDBACK_QUERY_SQL = {
  feedbackPerDay: `SELECT to_char(date_trunc('day', updated_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
      count(*) FILTER (WHERE rating = 'up') AS up, count(*) FILTER (WHERE rating = 'down') AS down
    FROM message_feedback WHERE ($1::timestamptz IS NULL OR updated_at >= $1) GROUP BY 1 ORDER BY 1`,
  // message_feedback_down_idx delivers the down rows newest first; each answer by messages_pkey.
  worstRatedAnswers: `SELECT f.user_id, m.session_id, m.client_id, f.rating, f.comment, f.tags,
      left(m.content, 200) AS excerpt, f.updated_at AS rated_at
    FROM message_feedback f JOIN messages m ON m.id = f.message_id
    WHERE f.rating = 'down' AND ($1::timestamptz IS NULL OR f.updated_at >= $1)
    ORDER BY f.updated_at DESC, f.message_id DESC LIMIT $2`,
  // The down rows by message_feedback_down_idx, their citations by message_citations_pkey.
  downRatedDocuments: `SELECT c.document_id, count(DISTINCT c.message_id) AS answers, count(*) AS citations,
      max(f.updated_at) AS last_rated_at
    FROM message_feedback f JOIN message_citations c ON c.message_id = f.message_id
    WHERE f.rating = 'down' AND ($1::timestamptz IS NULL OR f.updated_at >= $1)
    GROUP BY c.document_id ORDER BY answers DESC, citations DESC, c.document_id LIMIT $2`,
} as const;

const num = (x: unknown): number => Number(x);
const since = (x: Date | undefined): Date | null => (x === undefined ? null : v.date('since', x));

/** Reports over message_feedback (and the messages and citations it rates). */
export function createFeedbackQueries(sql: Sql) {
  const q = async (name: keyof typeof FEEDBACK_QUERY_SQL, params: unknown[]): Promise<Row[]> =>
    (await sql.query<Row>(FEEDBACK_QUERY_SQL[name], params, 'user')).rows;
  return withCheckedOptions(
    {
      /** Up and down ratings per UTC day (of the rating's last change). Range scan of message_feedback_updated_at_idx with `since`, else a scan. */
      feedbackPerDay: async (o: { since?: Date } = {}): Promise<FeedbackDay[]> =>
        (await q('feedbackPerDay', [since(o.since)])).map((r) => ({
          day: String(r.day),
          up: num(r.up),
          down: num(r.down),
        })),
      /** Down-rated answers, newest rating first, with comment, tags and an excerpt. limit 1..1000, default 50. */
      worstRatedAnswers: async (o: { since?: Date; limit?: number } = {}): Promise<RatedAnswer[]> =>
        (await q('worstRatedAnswers', [since(o.since), v.limit(o.limit, 1000, 50)])).map((r) => ({
          userId: String(r.user_id),
          sessionId: String(r.session_id),
          messageId: String(r.client_id),
          rating: r.rating as Rating,
          comment: r.comment === null ? null : String(r.comment),
          tags: ((r.tags ?? []) as unknown[]).map(String),
          excerpt: String(r.excerpt),
          ratedAt: toDate(r.rated_at),
        })),
      /**
       * The documents most often cited by down-rated answers (which sources lead to bad answers),
       * most answers first. limit 1..1000, default 20.
       */
      downRatedDocuments: async (o: { since?: Date; limit?: number } = {}): Promise<DownRatedDocument[]> =>
        (await q('downRatedDocuments', [since(o.since), v.limit(o.limit, 1000, 20)])).map((r) => ({
          documentId: String(r.document_id),
          answers: num(r.answers),
          citations: num(r.citations),
          lastRatedAt: toDate(r.last_rated_at),
        })),
    },
    {
      feedbackPerDay: ['since'],
      worstRatedAnswers: ['since', 'limit'],
      downRatedDocuments: ['since', 'limit'],
    },
  );
}
