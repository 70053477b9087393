import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createApi } from '../src/app/lib/api';

const FRAME = 'https://chat.example.com/widget/frame.html?key=k';

function reply(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

afterEach(() => vi.unstubAllGlobals());

describe('visitor API client', () => {
  it('calls the API next to the frame, with the bearer token', async () => {
    const fetch = vi.fn(async () => reply(200, { items: [], next_cursor: '' }));
    vi.stubGlobal('fetch', fetch);
    await createApi(FRAME).messages('tok', 7);
    const [url, init] = fetch.mock.calls[0] as unknown as [URL, RequestInit];
    expect(String(url)).toBe('https://chat.example.com/widget/v1/messages?after_seq=7');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(init.credentials).toBe('omit');
  });

  it('follows next_cursor until the last page', async () => {
    const pages = [
      { items: [{ id: 'a', seq: 1 }], next_cursor: '1' },
      { items: [{ id: 'b', seq: 2 }], next_cursor: '2' },
      { items: [], next_cursor: '' },
    ];
    const fetch = vi.fn(async () => reply(200, pages.shift()));
    vi.stubGlobal('fetch', fetch);
    const all = await createApi(FRAME).messages('tok');
    expect(all.map((m) => m.id)).toEqual(['a', 'b']);
    expect(String(fetch.mock.calls[1]![0 as never])).toContain('cursor=1');
  });

  it('turns error bodies into ApiError with code, message and field', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => reply(422, { error: { code: 'invalid', message: 'email must be a plain address', field: 'email' } })));
    const err = await createApi(FRAME).identify('tok', { email: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 422, code: 'invalid', message: 'email must be a plain address', field: 'email' });
  });

  it('network failures and cut-off answers are status 0', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    expect(await createApi(FRAME).send('t', 'x', 'c').catch((e) => e.status)).toBe(0);
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{"id":', { status: 201 })));
    expect(await createApi(FRAME).send('t', 'x', 'c').catch((e) => e.status)).toBe(0);
  });

  it('sends every body as application/json (the server refuses other types with 415)', async () => {
    const fetch = vi.fn(async () => reply(200, { visitor_token: 't', id: 'm' }));
    vi.stubGlobal('fetch', fetch);
    const api = createApi(FRAME);
    await api.session('key', '', { url: 'https://shop.example/', title: 'Shop', referrer: '' });
    await api.send('tok', 'hello', 'c-1');
    await api.identify('tok', { name: 'Ann' });
    expect(fetch.mock.calls.length).toBe(3);
    for (const call of fetch.mock.calls) {
      const init = (call as unknown as [URL, RequestInit])[1];
      expect(typeof init.body).toBe('string');
      expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    }
  });

  it('builds the stream URL (ws/wss) with after_seq only when known', () => {
    expect(createApi(FRAME).streamURL('t k', 0)).toBe('wss://chat.example.com/widget/v1/stream?token=t+k');
    expect(createApi('http://127.0.0.1:8080/widget/frame.html').streamURL('t', 42)).toBe('ws://127.0.0.1:8080/widget/v1/stream?token=t&after_seq=42');
  });
});
