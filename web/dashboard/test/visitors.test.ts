import { describe, expect, it } from 'vitest';
import { afterLoad, applyVisitorFrame } from '../src/lib/visitors';
import { online } from './fixtures';

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
