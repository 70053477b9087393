import { describe, expect, it } from 'vitest';
import { afterLoad, applyConversation, applyVisitorFrame } from '../src/lib/visitors';
import { conv, online } from './fixtures';

describe('visitors on the site', () => {
  it('upserts on visitor.online, newest arrival first', () => {
    let list = applyVisitorFrame([], { type: 'visitor.online', data: online({ visitor_id: 'a', since: '2025-01-01T10:00:00Z' }) });
    list = applyVisitorFrame(list, { type: 'visitor.online', data: online({ visitor_id: 'b', since: '2025-01-01T11:00:00Z' }) });
    expect(list.map((v) => v.visitor_id)).toEqual(['b', 'a']);
    list = applyVisitorFrame(list, {
      type: 'visitor.online',
      data: online({ visitor_id: 'a', since: '2025-01-01T10:00:00Z', pages: 2, page: { url: 'https://shop.example/cart', title: 'Cart' } }),
    });
    expect(list.map((v) => [v.visitor_id, v.pages])).toEqual([['b', 1], ['a', 2]]);
  });

  it('removes on visitor.offline and ignores unknown visitors', () => {
    const list = [online({ visitor_id: 'a' })];
    expect(applyVisitorFrame(list, { type: 'visitor.offline', data: { visitor_id: 'a' } })).toEqual([]);
    expect(applyVisitorFrame(list, { type: 'visitor.offline', data: { visitor_id: 'zz' } })).toBe(list);
  });

  it('applies frames that came during a load on top of its answer', () => {
    const loaded = [online({ visitor_id: 'a' }), online({ visitor_id: 'b' })];
    const list = afterLoad(loaded, [
      { type: 'visitor.offline', data: { visitor_id: 'a' } },
      { type: 'visitor.online', data: online({ visitor_id: 'c', since: '2025-01-01T12:00:00Z', chatting: true }) },
    ]);
    expect(list.map((v) => v.visitor_id)).toEqual(['c', 'b']);
  });
});

describe('conversations of visitors on the site', () => {
  it('marks the visitor chatting when a chat opens and not when it is resolved', () => {
    const list = [online({ visitor_id: 'v' }), online({ visitor_id: 'w' })];
    const opened = applyConversation(list, conv({ id: 'c1', visitor_id: 'v' }));
    expect(opened[0]).toMatchObject({ chatting: true, conversation_id: 'c1' });
    expect(opened[1]).toBe(list[1]);
    const resolved = applyConversation(opened, conv({ id: 'c1', visitor_id: 'v', status: 'resolved' }));
    expect(resolved[0]).toMatchObject({ chatting: false, conversation_id: null });
  });

  it('leaves the list alone for other visitors, other channels and older chats', () => {
    const list = [online({ visitor_id: 'v', chatting: true, conversation_id: 'c2' })];
    expect(applyConversation(list, conv({ id: 'x', visitor_id: 'nobody' }))).toBe(list);
    expect(applyConversation(list, conv({ id: 'e', visitor_id: 'v', channel: 'email' }))).toBe(list);
    expect(applyConversation(list, conv({ id: 'c1', visitor_id: 'v', status: 'resolved' }))).toBe(list);
  });
});
