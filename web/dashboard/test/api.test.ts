import { describe, expect, it } from 'vitest';
import { ApiError, Client } from '../src/lib/api';

function recorder(status = 200, body: unknown = {}) {
  const calls: { url: string; init: RequestInit }[] = [];
  const f = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  }) as unknown as typeof fetch;
  return { calls, f };
}

describe('API client', () => {
  it('adds the CSRF header on non-GET calls only, always with same-origin credentials', async () => {
    const r = recorder();
    const c = new Client(r.f);
    c.csrf = 'tok123';
    await c.counts();
    await c.resolve('x');
    await c.patchContact('k', { name: 'A' });
    const [get, post, patch] = r.calls;
    expect(get!.init.credentials).toBe('same-origin');
    expect((get!.init.headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();
    expect((post!.init.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok123');
    expect(post!.init.credentials).toBe('same-origin');
    expect((patch!.init.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok123');
    expect(patch!.init.body).toBe('{"name":"A"}');
  });

  it('turns error bodies into ApiError with code, message and field', async () => {
    const r = recorder(422, { error: { code: 'invalid', message: 'phone must have 6 to 15 digits', field: 'phone' } });
    const c = new Client(r.f);
    const e = await c.patchContact('k', { phone: '1' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(422);
    expect((e as ApiError).field).toBe('phone');
    expect((e as ApiError).message).toContain('6 to 15');
  });

  it('logs in with cookie: true', async () => {
    const r = recorder(200, { agent: {}, csrf_token: 't' });
    await new Client(r.f).login('a@b.c', 'pw');
    expect(JSON.parse(r.calls[0]!.init.body as string)).toEqual({ email: 'a@b.c', password: 'pw', cookie: true });
  });

  it('builds list queries', async () => {
    const r = recorder(200, { items: [], next_cursor: '' });
    await new Client(r.f).conversations('open', 'mine', 'abc', 20);
    expect(r.calls[0]!.url).toBe('/api/v1/conversations?status=open&view=mine&limit=20&cursor=abc');
  });
});
