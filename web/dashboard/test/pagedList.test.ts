import { describe, expect, it } from 'vitest';
import { PagedList } from '../src/lib/pagedList.svelte';
import type { Page } from '../src/lib/types';

type Item = { id: string; t: string };
const item = (id: string, t: string): Item => ({ id, t });

/** A server answering from `pages` by cursor; tests change the pages as time goes by. */
function server(pages: Record<string, Page<Item>>) {
  const load = async (cursor: string) => {
    const p = pages[cursor];
    if (!p) throw new Error('no page');
    return p;
  };
  return { pages, load };
}

describe('a paged list on the card', () => {
  it('loads the first page, follows the cursor, then merges a refresh on top', async () => {
    const s = server({
      '': { items: [item('c', '3'), item('b', '2')], next_cursor: 'p2' },
      p2: { items: [item('a', '1')], next_cursor: '' },
    });
    const l = new PagedList<Item>(s.load, (x) => x.id, (x) => x.t);
    await l.refresh();
    expect(l.status).toBe('ready');
    expect(l.cursor).toBe('p2');
    expect(await l.more()).toBe(true);
    expect(l.items.map((x) => x.id)).toEqual(['c', 'b', 'a']);
    expect(l.cursor).toBe('');

    // A new item arrives: the refresh keeps what "more" loaded.
    s.pages[''] = { items: [item('d', '4'), item('c', '3')], next_cursor: 'p2-new' };
    await l.refresh();
    expect(l.items.map((x) => x.id)).toEqual(['d', 'c', 'b', 'a']);
    expect(l.cursor).toBe(''); // still at the end: the old cursor stays
  });

  it('shows an error only when nothing was loaded', async () => {
    const l = new PagedList<Item>(async () => {
      throw new Error('down');
    }, (x) => x.id, (x) => x.t);
    await l.refresh();
    expect(l.status).toBe('error');
    expect(await l.more()).toBe(true); // no cursor: nothing to do
  });
});
