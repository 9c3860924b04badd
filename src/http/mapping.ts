import type { ChatSession, Message, Profile, User } from '../store/types.js';
import { messageUsageJson, sessionUsageJson } from './schemas-usage.js';

/** The library's camelCase objects as API.md's snake_case JSON, in one place. */
export const userJson = (u: User) => ({
  id: u.id,
  email: u.email,
  guest: u.guest,
  created_at: u.createdAt.toISOString(),
});

export const profileJson = (p: Profile) => ({
  software_background: p.softwareBackground,
  hardware_background: p.hardwareBackground,
  experience_level: p.experienceLevel,
  preferred_language: p.preferredLanguage,
  metadata: p.metadata,
  created_at: p.createdAt.toISOString(),
  updated_at: p.updatedAt.toISOString(),
});

export const sessionJson = (s: ChatSession) => ({
  id: s.id,
  user_id: s.userId,
  title: s.title,
  metadata: s.metadata,
  message_count: s.messageCount,
  created_at: s.createdAt.toISOString(),
  updated_at: s.updatedAt.toISOString(),
  last_message_at: s.lastMessageAt ? s.lastMessageAt.toISOString() : null,
  leaf_message_id: s.leafMessageId,
  active_stream_id: s.activeStreamId,
  pinned: s.pinned,
  archived: s.archived,
  trashed_at: s.trashedAt ? s.trashedAt.toISOString() : null,
  ...(s.purgeAt ? { purge_at: s.purgeAt.toISOString() } : {}),
  usage: sessionUsageJson(s),
});

export const messageJson = (m: Message) => ({
  id: m.id,
  session_id: m.sessionId,
  seq: m.seq,
  role: m.role,
  content: m.content,
  selected_text: m.selectedText,
  metadata: m.metadata,
  citations: m.citations.map((c) => ({
    citation_index: c.citationIndex,
    document_id: c.documentId,
    chunk_id: c.chunkId,
    score: c.score,
    excerpt: c.excerpt,
    metadata: c.metadata,
  })),
  created_at: m.createdAt.toISOString(),
  parts: m.parts,
  status: m.status,
  parent_id: m.parentId,
  updated_at: m.updatedAt.toISOString(),
  usage: messageUsageJson(m),
});
