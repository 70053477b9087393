// The browsing history on the visitor card: page views (newest first, as the
// API sends them) grouped into visits, and fresh first pages merged into what
// is already loaded.
import type { PageView } from './types';

export interface Visit {
  id: string;
  visitorId: string;
  /** The visit's referrer ("" = direct), or null while its first page is not loaded yet. */
  referrer: string | null;
  /** When the visit started, once its first page is loaded. */
  start: string | null;
  /** Newest first. */
  pages: PageView[];
}

/** Groups page views into visits; a visit is placed where its newest page is. */
export function groupVisits(views: PageView[]): Visit[] {
  const out: Visit[] = [];
  const byId = new Map<string, Visit>();
  for (const p of views) {
    // Older servers sent no visit ids: then every page is its own run per visitor.
    const id = p.visit_id || `${p.visitor_id}:${p.created_at}`;
    let v = byId.get(id);
    if (!v) {
      v = { id, visitorId: p.visitor_id, referrer: null, start: null, pages: [] };
      byId.set(id, v);
      out.push(v);
    }
    v.pages.push(p);
    if (p.visit_start || !p.visit_id) {
      v.referrer = p.referrer;
      v.start = p.created_at;
    }
  }
  return out;
}

export const pageKey = (p: PageView) => `${p.visitor_id}\n${p.created_at}\n${p.url}`;

/**
 * Puts a freshly loaded first page in front of the items already loaded.
 * `fresh` is the authority for its own range (an item of `old` in that range
 * but missing from `fresh` is gone). When the two do not overlap there may be
 * a gap between them, so only `fresh` is kept and `gap` tells the caller to
 * continue from fresh's cursor instead of the old one.
 */
export function mergeFirstPage<T>(old: T[], fresh: T[], key: (x: T) => string, time: (x: T) => string): { items: T[]; gap: boolean } {
  const seen = new Set(fresh.map(key));
  if (old.length === 0 || !old.some((x) => seen.has(key(x)))) return { items: fresh, gap: true };
  const last = fresh[fresh.length - 1];
  const oldest = last ? time(last) : '';
  const rest = old.filter((x) => !seen.has(key(x)) && time(x) <= oldest);
  return { items: [...fresh, ...rest], gap: false };
}

/** Appends a next page, skipping anything already there. */
export function appendPage<T>(old: T[], next: T[], key: (x: T) => string): T[] {
  const seen = new Set(old.map(key));
  return [...old, ...next.filter((x) => !seen.has(key(x)))];
}
