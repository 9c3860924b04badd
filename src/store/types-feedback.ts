/**
 * Ratings of answers (docs/design.md, "Feedback"): one per user and assistant message.
 * Re-exported by types.ts and src/index.ts.
 */

/** A rating of an answer. */
export type Rating = 'up' | 'down';

/** One user's feedback on one assistant message (one per user and message). */
export interface Feedback {
  /** The rated message's id (the client's). */
  readonly messageId: string;
  readonly sessionId: string;
  readonly rating: Rating;
  /** Up to 2,000 characters, or null. */
  readonly comment: string | null;
  /** Up to 10 tags of 1..50 characters each, as given (duplicates dropped). */
  readonly tags: string[];
  /** When the message was first rated. */
  readonly createdAt: Date;
  /** When the rating, comment or tags last changed. */
  readonly updatedAt: Date;
}

/** What `feedback.set` stores: it replaces the whole rating (an omitted comment or tags clears them). */
export interface FeedbackInput {
  readonly rating: Rating;
  readonly comment?: string | null;
  readonly tags?: readonly string[];
}
