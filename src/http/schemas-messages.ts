/** The message schemas of the API (TypeBox): messages, parts, citations, their inputs and queries. */
import { Type } from 'typebox';
import { MessageId, Metadata, Timestamp } from './schemas.js';
import { MessageUsageSchema, UsageBody } from './schemas-usage.js';

export const CitationSchema = Type.Object({
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
