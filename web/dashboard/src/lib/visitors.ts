// The list of visitors on the site now: loaded from GET /visitors/online, then
// kept current by the agent stream's ephemeral `visitor.online` (upsert) and
// `visitor.offline` (remove) frames.
import type { Conversation, OnlineVisitor } from './types';

export type VisitorFrame =
  | { type: 'visitor.online'; data: OnlineVisitor }
  | { type: 'visitor.offline'; data: { visitor_id: string } };

/** Newest arrival (start of the current visit) first, ties by id so the order is stable. */
export function sortVisitors(list: OnlineVisitor[]): OnlineVisitor[] {
  return [...list].sort((a, b) => (a.since < b.since ? 1 : a.since > b.since ? -1 : a.visitor_id < b.visitor_id ? -1 : 1));
}

export function applyVisitorFrame(list: OnlineVisitor[], f: VisitorFrame): OnlineVisitor[] {
  if (f.type === 'visitor.offline') {
    return list.some((v) => v.visitor_id === f.data.visitor_id) ? list.filter((v) => v.visitor_id !== f.data.visitor_id) : list;
  }
  return sortVisitors([...list.filter((v) => v.visitor_id !== f.data.visitor_id), f.data]);
}

/**
 * The list after an HTTP load that raced with frames: the frames that came
 * while the request was out are newer than its answer, so they are applied on
 * top of it.
 */
export function afterLoad(loaded: OnlineVisitor[], during: VisitorFrame[]): OnlineVisitor[] {
  let list = sortVisitors(loaded);
  for (const f of during) list = applyVisitorFrame(list, f);
  return list;
}

/**
 * Follows a conversation of a visitor on the site into its row: open means
 * chatting in it, resolved means that chat is over. The server also sends
 * `visitor.online` when a chat starts; this keeps the row right in between.
 */
export function applyConversation(list: OnlineVisitor[], c: Conversation): OnlineVisitor[] {
  const i = list.findIndex((v) => v.visitor_id === c.visitor_id);
  const v = list[i];
  if (!v || c.channel !== 'chat') return list;
  let next: OnlineVisitor = v;
  if (c.status === 'open' && v.conversation_id !== c.id) next = { ...v, chatting: true, conversation_id: c.id };
  else if (c.status === 'resolved' && v.conversation_id === c.id) next = { ...v, chatting: false, conversation_id: null };
  if (next === v) return list;
  const out = [...list];
  out[i] = next;
  return out;
}
