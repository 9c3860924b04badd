import { Type } from 'typebox';
import { SessionUsageSchema } from './schemas-usage.js';

/**
 * Shared TypeBox schemas (the messages' are in schemas-messages.ts): they validate requests,
 * serialize responses and make the OpenAPI document.
 */

export const Metadata = Type.Object({}, { additionalProperties: true, description: 'a JSON object' });
export const Timestamp = Type.String({ format: 'date-time' });

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
