import { Type } from 'typebox';
import type { CreatedShare, Share, SharedConversation } from '../store/types.js';
import { MessageId } from './schemas.js';
import { CitationSchema, Parts } from './schemas-messages.js';

/** Share links' request and response schemas, and their JSON mapping (snake_case, as API.md). */

const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

/** `POST /chat/sessions/{id}/shares`. */
export const ShareBody = Type.Object(
  {
    up_to_message_id: Type.Optional(
      Type.Union([MessageId, Type.Null()], {
        description:
          'a message of this session (any branch): the link shows the path from the root to it, fixed now; ' +
          "omitted or null: the session's active path as it is when the link is read",
      }),
    ),
    expires_at: Type.Optional(
      Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
        description: 'when the link stops working (in the future); omitted or null: never',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ShareParams = Type.Object({ id: Type.String(), share_id: Type.String() });

/** The token is 47 characters (`shr_` and 43 base64url); anything longer is no token. */
export const SharedParams = Type.Object({ token: Type.String({ maxLength: 100 }) });

const shareFields = {
  id: Type.String(),
  up_to_message_id: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
  expires_at: NullableTimestamp,
};

export const ShareSchema = Type.Object({ ...shareFields, revoked_at: NullableTimestamp });

export const CreatedShareSchema = Type.Object({
  ...shareFields,
  token: Type.String({ description: 'shown this once; only its SHA-256 is stored' }),
  path: Type.String({ description: '`/shared/{token}`: the public read' }),
});

export const ShareListSchema = Type.Object({
  data: Type.Array(ShareSchema, {
    description: "the session's links, oldest first (revoked and expired ones too), without tokens",
  }),
});

/** A citation as a share shows it: without its metadata. */
const SharedCitationSchema = Type.Omit(CitationSchema, ['metadata']);

export const SharedConversationSchema = Type.Object({
  title: Type.Union([Type.String(), Type.Null()]),
  messages: Type.Array(
    Type.Object({
      id: Type.String({ description: "the message's client id" }),
      role: Type.String({ description: 'user, assistant or tool (system messages are not shared)' }),
      parts: Parts,
      content: Type.String(),
      citations: Type.Array(SharedCitationSchema),
      created_at: Timestamp,
    }),
    { description: 'the shared path, oldest first' },
  ),
});

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export const shareJson = (s: Share) => ({
  id: s.id,
  up_to_message_id: s.upToMessageId,
  created_at: s.createdAt.toISOString(),
  expires_at: iso(s.expiresAt),
  revoked_at: iso(s.revokedAt),
});

export const createdShareJson = (s: CreatedShare) => ({
  id: s.id,
  token: s.token,
  path: `/shared/${s.token}`,
  up_to_message_id: s.upToMessageId,
  created_at: s.createdAt.toISOString(),
  expires_at: iso(s.expiresAt),
});

export const sharedJson = (c: SharedConversation) => ({
  title: c.title,
  messages: c.messages.map((m) => ({
    id: m.id,
    role: m.role,
    parts: m.parts,
    content: m.content,
    citations: m.citations.map((x) => ({
      citation_index: x.citationIndex,
      document_id: x.documentId,
      chunk_id: x.chunkId,
      score: x.score,
      excerpt: x.excerpt,
    })),
    created_at: m.createdAt.toISOString(),
  })),
});
