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

  it('sends the two-factor code only when there is one', async () => {
    const r = recorder(200, { agent: {}, csrf_token: 't' });
    await new Client(r.f).login('a@b.c', 'pw', '123456');
    expect(JSON.parse(r.calls[0]!.init.body as string)).toEqual({ email: 'a@b.c', password: 'pw', cookie: true, code: '123456' });
  });

  it('tells two_factor_required from a wrong password', async () => {
    const r = recorder(401, { error: { code: 'two_factor_required', message: 'enter the code' } });
    await expect(new Client(r.f).login('a@b.c', 'pw')).rejects.toMatchObject({ status: 401, code: 'two_factor_required' });
  });

  it('calls the two-factor routes', async () => {
    const r = recorder(200, {});
    const c = new Client(r.f);
    await c.startTwoFactor('pw');
    await c.confirmTwoFactor('123456');
    await c.disableTwoFactor('pw', 'abcde-fghjk');
    await c.patchAccount({ require_two_factor: true });
    expect(r.calls.map((x) => [x.init.method, x.url, JSON.parse(x.init.body as string)])).toEqual([
      ['POST', '/api/v1/me/two-factor', { current_password: 'pw' }],
      ['POST', '/api/v1/me/two-factor/confirm', { code: '123456' }],
      ['DELETE', '/api/v1/me/two-factor', { current_password: 'pw', code: 'abcde-fghjk' }],
      ['PATCH', '/api/v1/account', { require_two_factor: true }],
    ]);
  });

  it('builds list queries', async () => {
    const r = recorder(200, { items: [], next_cursor: '' });
    await new Client(r.f).conversations('open', 'mine', 'abc', 20);
    expect(r.calls[0]!.url).toBe('/api/v1/conversations?status=open&view=mine&limit=20&cursor=abc');
  });
});

describe('API client: visitor card, visitors, keys and identity', () => {
  it('pages the contact lists with limit and cursor', async () => {
    const r = recorder(200, { items: [], next_cursor: '', visits: 0 });
    const c = new Client(r.f);
    await c.pages('k/1', 'cur');
    await c.pages('k');
    await c.contactConversations('k', '', 20);
    expect(r.calls.map((x) => x.url)).toEqual([
      '/api/v1/contacts/k%2F1/pages?limit=100&cursor=cur',
      '/api/v1/contacts/k/pages?limit=100',
      '/api/v1/contacts/k/conversations?limit=20',
    ]);
  });

  it('sends the CSRF header when starting a chat and changing keys or identity', async () => {
    const r = recorder(200, {});
    const c = new Client(r.f);
    c.csrf = 'tok';
    await c.onlineVisitors();
    await c.startChat('v1', 'Hello!', 'cid-1');
    await c.createApiKey('Webshop');
    await c.patchIdentity(true);
    await c.rotateIdentitySecret();
    const [list, ...writes] = r.calls;
    expect(list!.url).toBe('/api/v1/visitors/online');
    expect((list!.init.headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();
    expect(writes.map((w) => [w.init.method, w.url, w.init.body])).toEqual([
      ['POST', '/api/v1/visitors/v1/conversations', '{"text":"Hello!","client_id":"cid-1"}'],
      ['POST', '/api/v1/api-keys', '{"name":"Webshop"}'],
      ['PATCH', '/api/v1/identity', '{"verify":true}'],
      ['POST', '/api/v1/identity/secret', undefined],
    ]);
    for (const w of writes) expect((w.init.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok');
  });

  it('revokes a key with DELETE and reads the 204 as done', async () => {
    const r = recorder(204);
    const c = new Client(r.f);
    c.csrf = 'tok';
    await expect(c.revokeApiKey('key1')).resolves.toBeUndefined();
    expect(r.calls[0]!.init.method).toBe('DELETE');
    expect(r.calls[0]!.url).toBe('/api/v1/api-keys/key1');
    expect((r.calls[0]!.init.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok');
  });
});
