/**
 * The HTTP floor for `http-append`: the least an HTTP append can be with the same stack (Node's
 * HTTP server, Fastify, `pg`): hash the bearer token, send chatdb's append-as statement with the
 * body's fields, answer 201 with the row. No validation, no error mapping, no hooks, no request
 * log, no mapping of the row. Not a server to run: a measuring stick for what chatdb serve adds.
 * Usage, after `npm run build`: DATABASE_URL=… node bench/http-floor-server.mjs (prints "listening
 * on <url>").
 */
import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
// chatdb's own statement, from the build the bench makes first (buildDist).
import { APPEND_AS_SQL } from '../dist/store/append.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = Fastify();
app.post('/chat/sessions/:id/messages', async (req, reply) => {
  const token = (req.headers.authorization ?? '').slice('Bearer '.length);
  const { role, content, citations } = req.body;
  const cited = citations.map((c, k) => ({ citation_index: k + 1, ...c, excerpt: null, metadata: {} }));
  const r = await pool.query(APPEND_AS_SQL, [
    req.params.id,
    createHash('sha256').update(token).digest(),
    uuidv7(),
    role,
    content,
    null,
    '{}',
    null,
    null,
    JSON.stringify(cited),
    null,
    null,
    null,
    null,
    Number(process.env.LOCK_TIMEOUT_MS ?? 0),
  ]);
  return reply.code(201).send(r.rows[0]);
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening on ${url}\n`);
process.on('SIGTERM', () => {
  app.close().then(() => pool.end().then(() => process.exit(0)));
});
