// The inbox state and the pure functions that apply stream frames and HTTP
// answers to it. Every function returns a new state (or the same one when
// nothing changed), so the Svelte store can hold it with $state.raw.
import type { Contact, Conversation, Frame, Message, Status, View } from './types';

export interface InboxState {
  /** Every conversation we know, by id (loaded pages and live events). */
  convs: Record<string, Conversation>;
  /** Messages of the conversations whose history is loaded, ordered by seq. */
  messages: Record<string, Message[]>;
  contacts: Record<string, Contact>;
  /** Unread visitor messages per conversation. */
  unread: Record<string, number>;
}

export const emptyInbox = (): InboxState => ({ convs: {}, messages: {}, contacts: {}, unread: {} });

export function matchesView(c: Conversation, status: Status, view: View, meId: string): boolean {
  if (c.status !== status) return false;
  if (status === 'resolved') return true;
  switch (view) {
    case 'all':
      return true;
    case 'unassigned':
      return !c.assignee_id;
    case 'mine':
      return c.assignee_id === meId;
    case 'others':
      return !!c.assignee_id && c.assignee_id !== meId;
  }
}

/** The rows of a list: newest last_message_at first, ties by id. */
export function listFor(s: InboxState, status: Status, view: View, meId: string): Conversation[] {
  return Object.values(s.convs)
    .filter((c) => matchesView(c, status, view, meId))
    .sort((a, b) => (a.last_message_at < b.last_message_at ? 1 : a.last_message_at > b.last_message_at ? -1 : a.id < b.id ? 1 : -1));
}

/** Upserts conversations; an older copy (by updated_at) never replaces a newer one. */
export function upsertConversations(s: InboxState, list: Conversation[]): InboxState {
  let convs: Record<string, Conversation> | null = null;
  for (const c of list) {
    const old = (convs ?? s.convs)[c.id];
    if (old && old.updated_at > c.updated_at) continue;
    if (old === c) continue;
    convs ??= { ...s.convs };
    convs[c.id] = c;
  }
  return convs ? { ...s, convs } : s;
}

/** Inserts a message once (by id, or replacing the optimistic copy with the same client_id). */
export function addMessage(list: Message[], m: Message): Message[] {
  if (list.some((x) => x.id === m.id)) return list;
  const next = list.filter((x) => !(x.id.startsWith('pending:') && m.client_id && x.client_id === m.client_id));
  let i = next.length;
  while (i > 0 && (next[i - 1]?.seq ?? 0) > m.seq) i--;
  next.splice(i, 0, m);
  return next;
}

export function setMessages(s: InboxState, convId: string, list: Message[]): InboxState {
  let merged = s.messages[convId]?.filter((x) => !x.id.startsWith('pending:')) ?? [];
  for (const m of list) merged = addMessage(merged, m);
  const pending = s.messages[convId]?.filter((x) => x.id.startsWith('pending:')) ?? [];
  for (const p of pending) if (!merged.some((m) => m.client_id === p.client_id)) merged = [...merged, p];
  return { ...s, messages: { ...s.messages, [convId]: merged } };
}

export function highestSeq(s: InboxState): number {
  let max = 0;
  for (const c of Object.values(s.convs)) if (c.last_message && c.last_message.seq > max) max = c.last_message.seq;
  for (const list of Object.values(s.messages)) for (const m of list) if (m.seq > max) max = m.seq;
  return max;
}

export interface ApplyContext {
  meId: string;
  /** The conversation on screen, if any (its messages are not unread while the tab is visible). */
  openId: string | null;
  visible: boolean;
}

export interface Effects {
  /** A visitor wrote (for sound / notification). */
  visitorMessage?: Message;
  /** A conversation we had not seen before. */
  newConversation?: Conversation;
  /** Something that changes counts happened. */
  countsDirty?: boolean;
}

/** Applies one stream frame. Frames without a known type are ignored. */
export function applyFrame(s: InboxState, f: Frame, ctx: ApplyContext): { state: InboxState; effects: Effects } {
  const effects: Effects = {};
  switch (f.type) {
    case 'message.created': {
      const m = f.data;
      const list = s.messages[m.conversation_id];
      if (list) {
        const next = addMessage(list, m);
        if (next === list) return { state: s, effects }; // doubled
        s = { ...s, messages: { ...s.messages, [m.conversation_id]: next } };
      }
      if (m.sender_type === 'visitor' && m.kind === 'text') {
        effects.visitorMessage = m;
        if (!(ctx.openId === m.conversation_id && ctx.visible)) {
          s = { ...s, unread: { ...s.unread, [m.conversation_id]: (s.unread[m.conversation_id] ?? 0) + 1 } };
        }
      }
      return { state: s, effects };
    }
    case 'conversation.updated': {
      const c = f.data;
      const had = !!s.convs[c.id];
      const next = upsertConversations(s, [c]);
      if (next === s) return { state: s, effects };
      effects.countsDirty = true;
      if (!had) effects.newConversation = c;
      return { state: next, effects };
    }
    case 'contact.updated': {
      const old = s.contacts[f.data.id];
      if (old && old.updated_at > f.data.updated_at) return { state: s, effects };
      return { state: { ...s, contacts: { ...s.contacts, [f.data.id]: f.data } }, effects };
    }
    default:
      return { state: s, effects };
  }
}

export function markRead(s: InboxState, convId: string): InboxState {
  if (!s.unread[convId]) return s;
  const unread = { ...s.unread };
  delete unread[convId];
  return { ...s, unread };
}

export function totalUnread(s: InboxState): number {
  let n = 0;
  for (const [id, v] of Object.entries(s.unread)) if (s.convs[id]?.status !== 'resolved') n += v;
  return n;
}
