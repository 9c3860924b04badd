/** What every adapter returns from a query. */
export interface QueryResult<R> {
  readonly rows: R[];
  readonly rowCount: number;
}

/** Something that runs SQL: the database itself, one session, or an open transaction. */
export interface Queryable {
  /** Runs one statement with `$1…$n` parameters (extended protocol). */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of one or more statements without parameters (simple protocol). */
  exec(sql: string): Promise<void>;
}

/** One database session: statements run in order on one connection. */
export interface Session extends Queryable {
  /** Runs `fn` inside BEGIN … COMMIT; any throw rolls back and is rethrown. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

export type DatabaseKind = 'pglite' | 'postgres';

/** The one interface the rest of chatdb talks to. Adapters: `pglite.ts`, `postgres.ts`. */
export interface Database extends Session {
  readonly kind: DatabaseKind;
  /** Where the database is, with any password masked: safe to print. */
  readonly target: string;
  /** Holds one connection for `fn` (session-level state such as advisory locks lives there). */
  withSession<T>(fn: (session: Session) => Promise<T>): Promise<T>;
  /**
   * The bound in ms `query` and `transaction` put on each statement (0: none). With one, `query`
   * runs a statement in a transaction of its own (SET LOCAL needs one): three round trips.
   */
  readonly statementTimeoutMs?: number;
  /**
   * Runs one statement as it is, in one round trip, without the statement timeout's transaction:
   * for a statement that bounds its own waits (chatdb's append takes `statementTimeoutMs` as its
   * lock timeout). Absent: `query` is used.
   */
  queryAsIs?<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  close(): Promise<void>;
}

/** Receives the adapters' operational messages (retries, a stale lock taken over). */
export type DbLogger = (message: string) => void;

/** The default DbLogger: one `chatdb: …` line on stderr. */
export const defaultLogger: DbLogger = (m) => process.stderr.write(`chatdb: ${m}\n`);
