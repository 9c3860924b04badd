/**
 * Usage reports (scope `chat` or `all`): tokens and latency per user per UTC day, and per model,
 * over the messages that recorded usage (any of model, tokens, latency). `from` (inclusive) and
 * `to` (exclusive) bound the message's created_at; omitted, all time. With `userId`, one user's
 * messages by the (user_id, client_id) index; without, a scan of messages, like the other
 * all-users reports (docs/queries.md). Times are UTC.
 */
import { withCheckedOptions } from './options.js';
import type { Sql } from './sql-errors.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

/** One user's usage on one UTC day. */
export interface UsageDay {
  /** `YYYY-MM-DD` (UTC) of the messages' created_at. */
  readonly day: string;
  readonly userId: string;
  /** Messages with usage recorded. */
  readonly messages: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Mean latency of the messages that recorded one, or null. */
  readonly avgLatencyMs: number | null;
}

/** Usage of one model (null: messages with tokens or latency but no model recorded). */
export interface ModelUsage {
  readonly model: string | null;
  readonly messages: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly avgLatencyMs: number | null;
  /** The 95th percentile of latency, or null. */
  readonly p95LatencyMs: number | null;
}

export interface UsageReportOptions {
  /** Only this user's messages. */
  readonly userId?: string;
  /** Messages created at or after this instant. */
  readonly from?: Date;
  /** Messages created before this instant. */
  readonly to?: Date;
}

/** A message that recorded usage. */
const RECORDED = 'num_nonnulls(model, input_tokens, output_tokens, latency_ms) > 0';
const WINDOW =
  '($1::timestamptz IS NULL OR created_at >= $1) AND ($2::timestamptz IS NULL OR created_at < $2)';
const PER_DAY = `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, user_id,
      count(*) AS messages, coalesce(sum(input_tokens), 0) AS input_tokens,
      coalesce(sum(output_tokens), 0) AS output_tokens, avg(latency_ms)::float8 AS avg_latency_ms
    FROM messages WHERE ${RECORDED} AND ${WINDOW}`;
const BY_MODEL = `SELECT model, count(*) AS messages, coalesce(sum(input_tokens), 0) AS input_tokens,
      coalesce(sum(output_tokens), 0) AS output_tokens, avg(latency_ms)::float8 AS avg_latency_ms,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_latency_ms
    FROM messages WHERE ${RECORDED} AND ${WINDOW}`;

/** The statements, by report name: the plan tests and docs/queries.md read them from here. */
export const USAGE_QUERY_SQL = {
  usagePerDay: `${PER_DAY} GROUP BY 1, 2 ORDER BY 1, 2`,
  usagePerDayOfUser: `${PER_DAY} AND user_id = $3 GROUP BY 1, 2 ORDER BY 1, 2`,
  usageByModel: `${BY_MODEL} GROUP BY model ORDER BY coalesce(sum(input_tokens), 0) + coalesce(sum(output_tokens), 0) DESC, model NULLS LAST`,
  usageByModelOfUser: `${BY_MODEL} AND user_id = $3
    GROUP BY model ORDER BY coalesce(sum(input_tokens), 0) + coalesce(sum(output_tokens), 0) DESC, model NULLS LAST`,
} as const;

const num = (x: unknown): number => Number(x);
const numOrNull = (x: unknown): number | null => (x === null || x === undefined ? null : Number(x));
const instant = (path: string, x: Date | undefined): Date | null =>
  x === undefined ? null : v.date(path, x);

/** Reports over the usage columns of messages. */
export function createUsageQueries(sql: Sql) {
  const run = async (name: 'usagePerDay' | 'usageByModel', o: UsageReportOptions): Promise<Row[]> => {
    const params: unknown[] = [instant('from', o.from), instant('to', o.to)];
    if (o.userId === undefined) return (await sql.query<Row>(USAGE_QUERY_SQL[name], params, 'user')).rows;
    const of = name === 'usagePerDay' ? 'usagePerDayOfUser' : 'usageByModelOfUser';
    return (await sql.query<Row>(USAGE_QUERY_SQL[of], [...params, v.userId(o.userId)], 'user')).rows;
  };
  return withCheckedOptions(
    {
      /** Tokens and latency per user per UTC day, oldest day first. One user by index with `userId`, else a scan of messages. */
      usagePerDay: async (o: UsageReportOptions = {}): Promise<UsageDay[]> =>
        (await run('usagePerDay', o)).map((r) => ({
          day: String(r.day),
          userId: String(r.user_id),
          messages: num(r.messages),
          inputTokens: num(r.input_tokens),
          outputTokens: num(r.output_tokens),
          avgLatencyMs: numOrNull(r.avg_latency_ms),
        })),
      /** Tokens and latency (mean, p95) per model, most tokens first. One user by index with `userId`, else a scan of messages. */
      usageByModel: async (o: UsageReportOptions = {}): Promise<ModelUsage[]> =>
        (await run('usageByModel', o)).map((r) => ({
          model: r.model === null ? null : String(r.model),
          messages: num(r.messages),
          inputTokens: num(r.input_tokens),
          outputTokens: num(r.output_tokens),
          avgLatencyMs: numOrNull(r.avg_latency_ms),
          p95LatencyMs: numOrNull(r.p95_latency_ms),
        })),
    },
    { usagePerDay: ['userId', 'from', 'to'], usageByModel: ['userId', 'from', 'to'] },
  );
}
