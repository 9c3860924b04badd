/**
 * chatdb's public API: open the database, migrate it (an app at start-up, a test suite building its
 * database), use the typed modules, handle ChatDbError codes.
 */
export type {
  Database,
  DatabaseKind,
  DbLogger,
  OpenDatabaseOptions,
  PoolClientLike,
  PoolLike,
  Queryable,
  QueryResult,
  Session,
} from './db/index.js';
export { DEFAULT_DATA_DIR, openDatabase } from './db/index.js';
export type { ErrorCode, ErrorDetail } from './errors.js';
export { ChatDbError, isChatDbError } from './errors.js';
export type {
  DownOptions,
  InitOptions,
  InitResult,
  MigrateOptions,
  MigrationLog,
  MigrationState,
  RunResult,
  Scope,
  StatusEntry,
  StatusOptions,
  StatusReport,
  StepResult,
  UpOptions,
} from './migrate/index.js';
export { DEFAULT_MIGRATIONS_DIR, down, init, redo, status, up } from './migrate/index.js';
export type { ChatDb, ChatDbModuleOptions, ChatDbOptions, QueriesModule } from './store/chatdb.js';
export {
  createChatDb,
  DEFAULT_TOKEN_TTL_SECONDS,
  DEFAULT_TRASH_RETENTION_DAYS,
  openChatDb,
} from './store/chatdb.js';
export type { CitationsModule, CitingMessage, DocumentCitationCount } from './store/citations.js';
export type { DownRatedDocument, FeedbackDay, RatedAnswer } from './store/queries-feedback.js';
export type { ModelUsage, UsageDay, UsageReportOptions } from './store/queries-usage.js';
export type {
  AppendAsResult,
  AppendResult,
  ChatSession,
  Citation,
  CitationInput,
  Conversation,
  CreatedShare,
  ExperienceLevel,
  Feedback,
  FeedbackInput,
  FeedbackModule,
  GuestMethods,
  IdleGuestsOptions,
  IssuedToken,
  JsonObject,
  JsonValue,
  Message,
  MessageInput,
  MessagePage,
  MessagePageOptions,
  MessagePart,
  MessageStatus,
  MessagesModule,
  Page,
  Profile,
  ProfileInput,
  ProfilesModule,
  PurgeGuestsBatchOptions,
  Rating,
  Role,
  SearchHit,
  SessionInput,
  SessionListOptions,
  SessionPage,
  SessionPatch,
  SessionsModule,
  Share,
  SharedCitation,
  SharedConversation,
  SharedMessage,
  ShareOptions,
  SharesModule,
  Siblings,
  TokenRecord,
  TokensModule,
  UpgradeInput,
  UpsertInput,
  UpsertResult,
  User,
  UserExport,
  UsersModule,
} from './store/types.js';
export type {
  PurgeOptions,
  PurgeProgress,
  PurgeResult,
  PurgeTarget,
  PurgeTargetSpec,
} from './store/types-lifecycle.js';
export type { MessageUsage, SessionUsage, UsageInput } from './store/types-usage.js';
