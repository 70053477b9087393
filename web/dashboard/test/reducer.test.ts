import { describe, expect, it } from 'vitest';
import { addMessage, applyFrame, emptyInbox, highestSeq, listFor, setMessages, upsertConversations } from '../src/lib/reducer';
import { conv, msg } from './fixtures';

const ctx = { meId: 'me', openId: null, visible: true };

describe('message.created', () => {
  it('appends once, even when the frame comes twice', () => {
    let s = setMessages(emptyInbox(), 'c1', [msg({ id: 'm1', seq: 1 })]);
    const f = { type: 'message.created' as const, seq: 2, data: msg({ id: 'm2', seq: 2 }) };
    s = applyFrame(s, f, ctx).state;
    s = applyFrame(s, f, ctx).state;
    expect(s.messages.c1?.map((m) => m.id)).toEqual(['m1', 'm2']);
  });

  it('keeps seq order when an older message arrives late', () => {
    let list = [msg({ id: 'm1', seq: 1 }), msg({ id: 'm3', seq: 3 })];
    list = addMessage(list, msg({ id: 'm2', seq: 2 }));
    expect(list.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it('replaces the optimistic copy with the stored one (same client_id)', () => {
    const pending = msg({ id: 'pending:x', seq: Number.MAX_SAFE_INTEGER, client_id: 'x', sender_type: 'agent' });
    const list = addMessage([msg({ id: 'm1', seq: 1 }), pending], msg({ id: 'm2', seq: 2, client_id: 'x', sender_type: 'agent' }));
    expect(list.map((m) => m.id)).toEqual(['m1', 'm2']);
  });

  it('counts a visitor message as unread unless its conversation is on screen', () => {
    const f = { type: 'message.created' as const, seq: 5, data: msg({ id: 'm5', seq: 5, conversation_id: 'c9' }) };
    expect(applyFrame(emptyInbox(), f, ctx).state.unread.c9).toBe(1);
    expect(applyFrame(emptyInbox(), f, { ...ctx, openId: 'c9' }).state.unread.c9).toBeUndefined();
    expect(applyFrame(emptyInbox(), f, { ...ctx, openId: 'c9', visible: false }).state.unread.c9).toBe(1);
    const note = { type: 'message.created' as const, seq: 6, data: msg({ id: 'n', seq: 6, kind: 'note', sender_type: 'agent' }) };
    expect(applyFrame(emptyInbox(), note, ctx).state.unread).toEqual({});
  });
});

describe('conversation.updated', () => {
  it('moves a conversation between views and tabs', () => {
    let s = upsertConversations(emptyInbox(), [conv({ id: 'c1' })]);
    expect(listFor(s, 'open', 'unassigned', 'me').map((c) => c.id)).toEqual(['c1']);
    const taken = conv({ id: 'c1', assignee_id: 'me', updated_at: '2025-01-01T00:00:01.000000Z' });
    const r = applyFrame(s, { type: 'conversation.updated', seq: 3, data: taken }, ctx);
    s = r.state;
    expect(r.effects.countsDirty).toBe(true);
    expect(listFor(s, 'open', 'unassigned', 'me')).toEqual([]);
    expect(listFor(s, 'open', 'mine', 'me').map((c) => c.id)).toEqual(['c1']);
    expect(listFor(s, 'open', 'others', 'other').map((c) => c.id)).toEqual(['c1']);
    const resolved = { ...taken, status: 'resolved' as const, updated_at: '2025-01-01T00:00:02.000000Z' };
    s = applyFrame(s, { type: 'conversation.updated', seq: 4, data: resolved }, ctx).state;
    expect(listFor(s, 'open', 'all', 'me')).toEqual([]);
    expect(listFor(s, 'resolved', 'all', 'me').map((c) => c.id)).toEqual(['c1']);
  });

  it('ignores an older copy of a conversation', () => {
    const newer = conv({ id: 'c1', status: 'resolved', updated_at: '2025-01-01T00:00:05.000000Z' });
    const older = conv({ id: 'c1', status: 'open', updated_at: '2025-01-01T00:00:01.000000Z' });
    let s = upsertConversations(emptyInbox(), [newer]);
    const r = applyFrame(s, { type: 'conversation.updated', seq: 9, data: older }, ctx);
    s = r.state;
    expect(s.convs.c1?.status).toBe('resolved');
    expect(r.effects.countsDirty).toBeUndefined();
  });

  it('orders lists newest message first', () => {
    const s = upsertConversations(emptyInbox(), [
      conv({ id: 'a', last_message_at: '2025-01-01T00:00:01.000000Z' }),
      conv({ id: 'b', last_message_at: '2025-01-01T00:00:03.000000Z' }),
      conv({ id: 'c', last_message_at: '2025-01-01T00:00:02.000000Z' }),
    ]);
    expect(listFor(s, 'open', 'all', 'me').map((c) => c.id)).toEqual(['b', 'c', 'a']);
  });

  it('finds the highest seq loaded for resuming', () => {
    let s = upsertConversations(emptyInbox(), [conv({ id: 'a', last_message: msg({ id: 'x', seq: 40 }) })]);
    s = setMessages(s, 'a', [msg({ id: 'y', seq: 42 })]);
    expect(highestSeq(s)).toBe(42);
  });
});
