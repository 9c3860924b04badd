/** chatdb's public API: open the database, use the typed modules, handle ChatDbError codes. */
export type { Database, DatabaseKind } from './db/index.js';
export { DEFAULT_DATA_DIR } from './db/index.js';
export type { ErrorCode, ErrorDetail } from './errors.js';
export { ChatDbError, isChatDbError } from './errors.js';
export type { ChatDb, ChatDbModuleOptions, ChatDbOptions, QueriesModule } from './store/chatdb.js';
export { createChatDb, DEFAULT_TOKEN_TTL_SECONDS, openChatDb } from './store/chatdb.js';
export type { CitationsModule, CitingMessage, DocumentCitationCount } from './store/citations.js';
export type {
  AppendResult,
  ChatSession,
  Citation,
  CitationInput,
  Conversation,
  ExperienceLevel,
  IssuedToken,
  JsonObject,
  JsonValue,
  Message,
  MessageInput,
  MessagePage,
  MessagePageOptions,
  MessagesModule,
  Page,
  Profile,
  ProfileInput,
  ProfilesModule,
  Role,
  SearchHit,
  SessionInput,
  SessionPatch,
  SessionsModule,
  TokenRecord,
  TokensModule,
  User,
  UserExport,
  UsersModule,
} from './store/types.js';
