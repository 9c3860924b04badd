import { Type } from 'typebox';
import type { Feedback } from '../store/types.js';

/** Feedback's request and response schemas, and its JSON mapping (snake_case, as API.md). */

const Rating = Type.Union([Type.Literal('up'), Type.Literal('down')]);

/** `PUT /chat/sessions/{id}/messages/{message_id}/feedback`: replaces the caller's rating. */
export const FeedbackBody = Type.Object(
  {
    rating: Rating,
    comment: Type.Optional(
      Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], {
        description: 'up to 2,000 characters; omitted or null: none',
      }),
    ),
    tags: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 50 }), {
        maxItems: 10,
        description: 'up to 10 tags of 1..50 characters (duplicates dropped); omitted: none',
      }),
    ),
  },
  { additionalProperties: false },
);

export const FeedbackSchema = Type.Object({
  message_id: Type.String(),
  session_id: Type.String(),
  rating: Rating,
  comment: Type.Union([Type.String(), Type.Null()]),
  tags: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const FeedbackListSchema = Type.Object({
  data: Type.Array(FeedbackSchema, { description: "the session's ratings, in message order" }),
});

export const feedbackJson = (f: Feedback) => ({
  message_id: f.messageId,
  session_id: f.sessionId,
  rating: f.rating,
  comment: f.comment,
  tags: f.tags,
  created_at: f.createdAt.toISOString(),
  updated_at: f.updatedAt.toISOString(),
});
