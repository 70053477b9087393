// The conversation history on the visitor card: the contact's conversations as
// loaded from the API, kept current with the copies the stream delivers.
import type { Conversation } from './types';

/**
 * The contact's conversations, newest `created_at` first. A live copy (from
 * `conversation.updated` frames) replaces an older loaded one; one that moved
 * to another contact leaves; one new to this contact joins.
 */
export function historyFor(loaded: Conversation[], live: Record<string, Conversation>, contactId: string): Conversation[] {
  const byId = new Map<string, Conversation>();
  for (const c of loaded) {
    const l = live[c.id];
    byId.set(c.id, l && l.updated_at >= c.updated_at ? l : c);
  }
  for (const c of Object.values(live)) if (c.contact_id === contactId && !byId.has(c.id)) byId.set(c.id, c);
  return [...byId.values()]
    .filter((c) => c.contact_id === contactId)
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.id < b.id ? 1 : -1));
}

/** The last message as one line of text for a history row. */
export function previewText(c: Conversation, you: string): string {
  const m = c.last_message;
  if (!m) return '';
  const who = m.sender_type === 'agent' ? `${m.sender_name || you}: ` : '';
  return who + m.text.replace(/\s+/g, ' ').trim();
}
