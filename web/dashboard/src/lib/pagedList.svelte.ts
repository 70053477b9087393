// A list on the visitor card that the API serves newest first in pages:
// `refresh` reloads the first page and merges it on top of what is loaded
// (the agent may have loaded more), `more` follows the cursor.
import type { Page } from './types';
import { appendPage, mergeFirstPage } from './visits';

export class PagedList<T, R extends Page<T> = Page<T>> {
  items = $state.raw<T[]>([]);
  cursor = $state('');
  /** The latest answer for the first page, for fields beside the items (the visit count). */
  head = $state.raw<R | null>(null);
  status = $state<'loading' | 'ready' | 'error'>('loading');
  loadingMore = $state(false);
  private refreshing = false;
  private again = false;

  constructor(
    private readonly load: (cursor: string) => Promise<R>,
    private readonly key: (x: T) => string,
    private readonly time: (x: T) => string,
  ) {}

  /** Reloads the first page; a call while one is out runs once more after it, so no change is missed. */
  async refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.again = false;
        const r = await this.load('');
        const m = mergeFirstPage(this.items, r.items, this.key, this.time);
        this.items = m.items;
        if (m.gap) this.cursor = r.next_cursor;
        this.head = r;
        this.status = 'ready';
      } while (this.again);
    } catch {
      if (this.status !== 'ready') this.status = 'error'; // keep showing what we had
    } finally {
      this.refreshing = false;
    }
  }

  /** Loads the next page; false when it failed. */
  async more(): Promise<boolean> {
    const from = this.cursor;
    if (this.loadingMore || !from) return true;
    this.loadingMore = true;
    try {
      const r = await this.load(from);
      if (this.cursor !== from) return true; // a refresh started over meanwhile
      this.items = appendPage(this.items, r.items, this.key);
      this.cursor = r.next_cursor;
      return true;
    } catch {
      return false;
    } finally {
      this.loadingMore = false;
    }
  }
}
