// The visitor API over HTTP (/widget/v1). Relative to the frame's own URL
// (…/widget/frame.html), so it follows wherever Parley is served.
import type { Identity, Message, Page, Session } from './types';
import type { Page as BrowsingPage } from '../../shared/protocol';

const TIMEOUT = 15_000;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export interface Api {
  session(widgetKey: string, token: string, page?: BrowsingPage): Promise<Session>;
  /** Every message of the latest conversation after `afterSeq`, oldest first (all pages). */
  messages(token: string, afterSeq?: number): Promise<Message[]>;
  send(token: string, text: string, clientId: string): Promise<Message>;
  identify(token: string, who: Identity): Promise<unknown>;
  streamURL(token: string, afterSeq: number): string;
}

export function createApi(frameURL: string = location.href): Api {
  const url = (path: string) => new URL(path, frameURL);

  async function call<T>(method: string, path: string | URL, token: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (token) headers['Authorization'] = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    // A request that hangs (a half-open connection) counts as a network error.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT);
    try {
      res = await fetch(typeof path === 'string' ? url(path) : path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
        signal: abort.signal,
      });
    } catch {
      clearTimeout(timer);
      throw new ApiError(0, 'network', 'network error');
    }
    let data: unknown = null;
    try {
      data = await res.json();
    } catch {
      // not JSON (or cut off)
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) {
      const e = (data as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
      const retry = Number(res.headers.get('Retry-After')) || undefined;
      throw new ApiError(res.status, e?.code ?? 'http_' + res.status, e?.message ?? res.statusText, e?.field, retry);
    }
    if (data === null || typeof data !== 'object') throw new ApiError(0, 'network', 'incomplete response');
    return data as T;
  }

  return {
    session: (widgetKey, token, page) =>
      call<Session>('POST', 'v1/session', '', { widget_key: widgetKey, visitor_token: token || undefined, page }),

    async messages(token, afterSeq = 0) {
      const out: Message[] = [];
      let cursor = '';
      for (let i = 0; i < 100; i++) {
        const u = url('v1/messages');
        if (afterSeq > 0) u.searchParams.set('after_seq', String(afterSeq));
        if (cursor) u.searchParams.set('cursor', cursor);
        const page = await call<Page<Message>>('GET', u, token);
        out.push(...(page.items ?? []));
        if (!page.next_cursor || page.next_cursor === cursor) break;
        cursor = page.next_cursor;
      }
      return out;
    },

    send: (token, text, clientId) => call<Message>('POST', 'v1/messages', token, { text, client_id: clientId }),

    identify: (token, who) => call('POST', 'v1/identify', token, who),

    streamURL(token, afterSeq) {
      const u = url('v1/stream');
      u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
      u.searchParams.set('token', token);
      if (afterSeq > 0) u.searchParams.set('after_seq', String(afterSeq));
      return u.href;
    },
  };
}
