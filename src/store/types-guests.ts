/**
 * Guest accounts (docs/design.md, "Guests"): a user without email or password that chats with a
 * bearer token, and becomes a registered user, same id and everything it owns, by `upgrade`.
 */
import type { User } from './types.js';

/** What `users.upgrade` sets: an email (unique, case-insensitively) and a password (8..1024 characters). */
export interface UpgradeInput {
  readonly email: string;
  readonly password: string;
}

/** The guest methods of the users module (auth scope). */
export interface GuestMethods {
  /**
   * Creates a guest: no email, no password, `guest: true`. Issue it a token with `tokens.issue`;
   * without one (or once its tokens expire) nobody can act as it, and it becomes idle.
   */
  createGuest(): Promise<User>;
  /**
   * Makes a guest a registered user in one statement: sets the email and an argon2id hash of the
   * password and clears `guest`, keeping its id, so its sessions, messages, feedback and tokens
   * stay. `conflict` when the user is not (or no longer) a guest, `email_taken`, `invalid_input`
   * on a bad email or password, `not_found` for an unknown id; either way nothing changes.
   */
  upgrade(userId: string, input: UpgradeInput): Promise<User>;
}

/** Which guests are idle: none of their activity (see `countIdleGuests`) since `olderThanDays` days ago. */
export interface IdleGuestsOptions {
  /** Idle for at least this many days: an integer, 1..36,500. */
  readonly olderThanDays: number;
}

/** One batch of the idle-guest purge. */
export interface PurgeGuestsBatchOptions extends IdleGuestsOptions {
  /** The most guests this batch deletes (the oldest first): 1..10,000, default 1,000. */
  readonly batchSize?: number;
  /** Count what this batch would delete, and delete nothing. Default false. */
  readonly dryRun?: boolean;
}
