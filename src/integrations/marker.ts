/**
 * The part that marks where a LangChain history was cleared (`ChatDbMessageHistory.clear`): a root
 * message holding only this part starts the new, empty history. Both adapters leave it out.
 */
import type { Message } from '../index.js';

export const CLEARED_PART_TYPE = 'data-chatdb-cleared';

/** True for the marker message that `ChatDbMessageHistory.clear` saves. */
export const isClearMarker = (m: Message): boolean =>
  m.parts.length === 1 && m.parts[0]?.type === CLEARED_PART_TYPE;
