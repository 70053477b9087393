import { describe, expect, it } from 'vitest';
import { appendPage, groupVisits, mergeFirstPage, pageKey } from '../src/lib/visits';
import { view } from './fixtures';

describe('grouping page views into visits', () => {
  it('groups newest first and takes the referrer from the first page of each visit', () => {
    const views = [
      view({ visit_id: 'b', created_at: '2025-01-02T10:05:00Z', title: 'Cart' }),
      view({ visit_id: 'b', created_at: '2025-01-02T10:00:00Z', visit_start: true, referrer: 'https://www.google.com/' }),
      view({ visit_id: 'a', created_at: '2025-01-01T09:01:00Z', title: 'Shoes' }),
      view({ visit_id: 'a', created_at: '2025-01-01T09:00:00Z', visit_start: true, referrer: '' }),
    ];
    const visits = groupVisits(views);
    expect(visits.map((v) => v.id)).toEqual(['b', 'a']);
    expect(visits[0]!.referrer).toBe('https://www.google.com/');
    expect(visits[0]!.start).toBe('2025-01-02T10:00:00Z');
    expect(visits[0]!.pages.map((p) => p.title)).toEqual(['Cart', 'Home']);
    expect(visits[1]!.referrer).toBe(''); // direct
  });

  it('leaves the referrer unknown while the first page of a visit is not loaded', () => {
    const [v] = groupVisits([view({ visit_id: 'a', created_at: '2025-01-01T09:01:00Z', referrer: 'https://x.example/' })]);
    expect(v!.referrer).toBeNull();
    expect(v!.start).toBeNull();
  });

  it('keeps interleaved visits of two devices apart', () => {
    const visits = groupVisits([
      view({ visitor_id: 'phone', visit_id: 'p', created_at: '2025-01-01T09:03:00Z' }),
      view({ visitor_id: 'laptop', visit_id: 'l', created_at: '2025-01-01T09:02:00Z' }),
      view({ visitor_id: 'phone', visit_id: 'p', created_at: '2025-01-01T09:01:00Z', visit_start: true }),
    ]);
    expect(visits.map((v) => [v.id, v.pages.length])).toEqual([['p', 2], ['l', 1]]);
  });
});

describe('merging a fresh first page', () => {
  const key = (x: { id: string }) => x.id;
  const time = (x: { t: string }) => x.t;
  const item = (id: string, t: string) => ({ id, t });

  it('puts new items on top of the loaded ones and keeps the old cursor', () => {
    const old = [item('b', '2'), item('a', '1')];
    const m = mergeFirstPage(old, [item('c', '3'), item('b', '2')], key, time);
    expect(m.items.map(key)).toEqual(['c', 'b', 'a']);
    expect(m.gap).toBe(false);
  });

  it('starts over when the fresh page does not reach the loaded items', () => {
    const m = mergeFirstPage([item('a', '1')], [item('c', '3'), item('b', '2')], key, time);
    expect(m.items.map(key)).toEqual(['c', 'b']);
    expect(m.gap).toBe(true);
  });

  it('drops a loaded item that the fresh page no longer has in its range', () => {
    const old = [item('c', '3'), item('moved', '3'), item('a', '1')];
    const m = mergeFirstPage(old, [item('d', '4'), item('c', '3'), item('b', '2')], key, time);
    expect(m.items.map(key)).toEqual(['d', 'c', 'b', 'a']);
  });

  it('keeps a loaded item tied with the oldest fresh one (the page may have cut a tie)', () => {
    const old = [item('c', '3'), item('b2', '2'), item('a', '1')];
    const m = mergeFirstPage(old, [item('d', '4'), item('c', '3'), item('b', '2')], key, time);
    expect(m.items.map(key)).toEqual(['d', 'c', 'b', 'b2', 'a']);
  });

  it('appends a next page once', () => {
    const a = view({ created_at: '2025-01-01T09:00:00Z' });
    const b = view({ created_at: '2025-01-01T08:00:00Z' });
    expect(appendPage([a], [a, b], pageKey)).toEqual([a, b]);
  });
});
