import { Type } from '@fastify/type-provider-typebox';

/** Shared TypeBox schemas: they validate requests, serialize responses and make the OpenAPI document. */

const Metadata = Type.Object({}, { additionalProperties: true, description: 'a JSON object' });
const Timestamp = Type.String({ format: 'date-time' });

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' },
);

export const Credentials = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 320 }),
    password: Type.String({ minLength: 8, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

export const TokenRequest = Type.Object(
  {
    email: Type.Optional(Type.String({ maxLength: 320 })),
    username: Type.Optional(Type.String({ maxLength: 320, description: 'OAuth2 password form' })),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    grant_type: Type.Optional(Type.String()),
    scope: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer(),
});

export const UserSchema = Type.Object({ id: Type.String(), email: Type.String(), created_at: Timestamp });

export const ProfileSchema = Type.Object({
  software_background: Type.Union([Type.String(), Type.Null()]),
  hardware_background: Type.Union([Type.String(), Type.Null()]),
  experience_level: Type.Union([Type.String(), Type.Null()]),
  preferred_language: Type.String(),
  metadata: Metadata,
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const MeSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  created_at: Timestamp,
  profile: Type.Union([ProfileSchema, Type.Null()]),
});

export const ProfileInput = Type.Object(
  {
    software_background: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    hardware_background: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    experience_level: Type.Optional(
      Type.Union([
        Type.Literal('beginner'),
        Type.Literal('intermediate'),
        Type.Literal('advanced'),
        Type.Null(),
      ]),
    ),
    preferred_language: Type.Optional(Type.String({ minLength: 2, maxLength: 35 })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const SessionSchema = Type.Object({
  id: Type.String(),
  user_id: Type.String(),
  title: Type.Union([Type.String(), Type.Null()]),
  metadata: Metadata,
  message_count: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
  last_message_at: Type.Union([Timestamp, Type.Null()]),
});

export const SessionInput = Type.Object(
  {
    title: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const SessionList = Type.Object({
  data: Type.Array(SessionSchema),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
  snapshot_at: Type.Union([Timestamp, Type.Null()], {
    description:
      'updated_at of the newest session when this walk began (the same on each of its pages); once ' +
      'the walk ends, list updated_since=snapshot_at for the sessions that moved above it meanwhile',
  }),
});

export const SessionListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
    updated_since: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'only sessions with updated_at at or after this instant (the recovery walk)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const SessionParams = Type.Object({ id: Type.String() });

const CitationSchema = Type.Object({
  citation_index: Type.Integer(),
  document_id: Type.String(),
  chunk_id: Type.Union([Type.String(), Type.Null()]),
  score: Type.Union([Type.Number(), Type.Null()]),
  excerpt: Type.Union([Type.String(), Type.Null()]),
  metadata: Metadata,
});

export const MessageSchema = Type.Object({
  id: Type.String(),
  session_id: Type.String(),
  seq: Type.Integer(),
  role: Type.String(),
  content: Type.String(),
  selected_text: Type.Union([Type.String(), Type.Null()]),
  metadata: Metadata,
  citations: Type.Array(CitationSchema),
  created_at: Timestamp,
});

export const MessageInput = Type.Object(
  {
    role: Type.Union([
      Type.Literal('user'),
      Type.Literal('assistant'),
      Type.Literal('system'),
      Type.Literal('tool'),
    ]),
    content: Type.String(),
    selected_text: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    metadata: Type.Optional(Metadata),
    citations: Type.Optional(
      Type.Array(
        Type.Object(
          {
            document_id: Type.String({ minLength: 1, maxLength: 1000 }),
            chunk_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
            score: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
            citation_index: Type.Optional(Type.Integer({ minimum: 1 })),
            excerpt: Type.Optional(Type.Union([Type.String(), Type.Null()])),
            metadata: Type.Optional(Metadata),
          },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
  },
  { additionalProperties: false },
);

export const MessageListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
    after_seq: Type.Optional(Type.Integer({ minimum: 0 })),
    before_seq: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const MessageList = Type.Object({ data: Type.Array(MessageSchema), has_more: Type.Boolean() });

export const SearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: 1000 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  },
  { additionalProperties: false },
);

export const SearchResult = Type.Object({
  data: Type.Array(Type.Object({ session_id: Type.String(), message: MessageSchema, rank: Type.Number() })),
});

/** Headers of `POST /chat/sessions/{id}/messages`. */
export const AppendHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'makes retries safe: 1..255 visible ASCII characters; a second request with the same key on the ' +
        'same session returns the first message (200) and creates nothing; the same key with another body is 409',
    }),
  ),
});

/** The 204 of a route that answers with no body. */
export const NoContent = { type: 'null', description: 'No Content' } as const;

const WHEN: Record<number, string> = {
  400: 'malformed JSON, a body, query or header failing validation, text containing NUL',
  401: 'no token, or an unknown, expired or revoked one (WWW-Authenticate: Bearer)',
  404: 'no such resource, or it belongs to another user',
  409: 'the email is registered already, or an Idempotency-Key was used with another body',
  413: 'the body is larger than the configured limit (CHATDB_BODY_LIMIT, default 1 MiB)',
  414: 'a path parameter is longer than 100 characters',
  415: 'the body is not JSON, or is compressed (Content-Encoding)',
  429: 'too many requests',
  503: 'the database is not reachable, or the server is shutting down',
};

/** Error responses a route can give, as application/problem+json (429 with Retry-After). */
export const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      c,
      {
        description: WHEN[c] ?? 'problem details',
        ...(c === 429
          ? {
              headers: { 'Retry-After': { type: 'integer', description: 'seconds to wait before retrying' } },
            }
          : {}),
        content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
      },
    ]),
  );
