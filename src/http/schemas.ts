import { Type } from 'typebox';
import { MessageUsageSchema, SessionUsageSchema, UsageBody } from './schemas-usage.js';

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

const UserEmail = Type.Union([Type.String(), Type.Null()], { description: 'null for a guest' });
const Guest = Type.Boolean({
  description: 'a guest account (POST /auth/guest) until POST /users/me/upgrade',
});

export const UserSchema = Type.Object({
  id: Type.String(),
  email: UserEmail,
  guest: Guest,
  created_at: Timestamp,
});

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
  email: UserEmail,
  guest: Guest,
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
  leaf_message_id: Type.Union([Type.String(), Type.Null()], {
    description: 'the last message of the active path (its id); null before the first message',
  }),
  active_stream_id: Type.Union([Type.String(), Type.Null()], {
    description: 'the stream writing to the session (resumable streams), or null',
  }),
  pinned: Type.Boolean({ description: 'listed before the unpinned sessions' }),
  archived: Type.Boolean({ description: 'left out of the list; shown by ?archived=true' }),
  trashed_at: Type.Union([Timestamp, Type.Null()], {
    description: 'when it was moved to the trash (only the trash lists trashed sessions), or null',
  }),
  purge_at: Type.Optional({
    ...Timestamp,
    description:
      'in the trash (?trashed=true) only: when chatdb purge may delete it (trashed_at + retention)',
  }),
  usage: SessionUsageSchema,
});

export const SessionInput = Type.Object(
  {
    title: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

/** A message id: the client's (the AI SDK's) string, 1..255 visible characters. */
export const MessageId = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[^\\p{Cc}\\s](?:[^\\p{Cc}]*[^\\p{Cc}\\s])?$',
  description: "a message's id: 1..255 characters, no control characters, no space at either end",
});

/** `PATCH /chat/sessions/{id}`: the session fields, plus the leaf (switch branch) and the stream id. */
export const SessionPatchInput = Type.Object(
  {
    ...SessionInput.properties,
    leaf_message_id: Type.Optional({
      ...MessageId,
      description: 'switch branch: this message of the session becomes the leaf (404 if it is not one)',
    }),
    active_stream_id: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()], {
        description: 'set (1..255 characters) or clear (null) the active stream id',
      }),
    ),
    pinned: Type.Optional(Type.Boolean({ description: 'pin (listed first) or unpin' })),
    archived: Type.Optional(Type.Boolean({ description: 'archive (left out of the list) or unarchive' })),
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
    archived: Type.Optional(
      Type.Boolean({ description: 'the archive view: archived sessions (not trashed) instead of the list' }),
    ),
    trashed: Type.Optional(
      Type.Boolean({
        description:
          'the trash: trashed sessions within the retention period, newest trashed first, each with purge_at',
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

const PART_TYPES =
  "the AI SDK's UIMessage parts, stored as given and returned equal: `text` and `reasoning` ({ text }), " +
  '`tool-<name>` and `dynamic-tool` ({ toolCallId, state, input?, output?, errorText? }; toolCallId required), ' +
  '`file` ({ mediaType, url, filename? }), `source-url` ({ sourceId, url, title? }), `source-document` ' +
  '({ sourceId, mediaType, title }), `data-<name>` ({ data }), `step-start`; other types pass as they are. ' +
  "Source parts (and text-part citations) also become the message's citations.";

const Part = Type.Object(
  { type: Type.String({ minLength: 1, maxLength: 255 }) },
  { additionalProperties: true, description: 'one part: a JSON object with a string `type`' },
);

/** A message's parts (input and output). */
export const Parts = Type.Array(Part, { description: PART_TYPES });

const Status = Type.Union(
  [Type.Literal('streaming'), Type.Literal('complete'), Type.Literal('aborted'), Type.Literal('error')],
  {
    description: '`streaming` while a reply is written (checkpoints), then `complete`, `aborted` or `error`',
  },
);

export const MessageSchema = Type.Object({
  id: Type.String({ description: "the client's id, or a UUIDv7 chatdb chose on POST" }),
  session_id: Type.String(),
  seq: Type.Integer(),
  role: Type.String(),
  content: Type.String(),
  selected_text: Type.Union([Type.String(), Type.Null()]),
  metadata: Metadata,
  citations: Type.Array(CitationSchema),
  created_at: Timestamp,
  parts: Parts,
  status: Status,
  parent_id: Type.Union([Type.String(), Type.Null()], { description: 'the parent message; null for a root' }),
  updated_at: Timestamp,
  usage: MessageUsageSchema,
});

const Role = Type.Union([
  Type.Literal('user'),
  Type.Literal('assistant'),
  Type.Literal('system'),
  Type.Literal('tool'),
]);

/** `PUT /chat/sessions/{id}/messages/{message_id}`: a message saved by its id. */
export const UpsertBody = Type.Object(
  {
    role: Role,
    parts: Parts,
    metadata: Type.Optional(Metadata),
    parent_id: Type.Optional(
      Type.Union([MessageId, Type.Null()], {
        description:
          "the parent's id (a message of this session); null makes a root; omitted: the session's leaf " +
          '(a new message) or the stored parent (a replaced one); another parent than the stored one is 409',
      }),
    ),
    status: Type.Optional(Status),
    usage: Type.Optional(UsageBody),
  },
  { additionalProperties: false },
);

export const MessageParams = Type.Object({ id: Type.String(), message_id: MessageId });

export const SiblingsSchema = Type.Object({
  data: Type.Array(MessageSchema, { description: 'the messages with the same parent, in seq order' }),
  index: Type.Integer({ minimum: 0, description: "this message's position in data" }),
});

export const MessageInput = Type.Object(
  {
    role: Role,
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
    usage: Type.Optional(UsageBody),
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
  409:
    'the email is registered already, an Idempotency-Key was used with another body, a message id is taken, ' +
    'or the user to upgrade is not a guest',
  413: 'the body is larger than the configured limit (CHATDB_BODY_LIMIT, default 1 MiB)',
  414: 'a path parameter is longer than 3072 characters as sent (255 characters percent-encoded)',
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
