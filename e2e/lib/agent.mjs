// An agent, over Parley's real HTTP API (fetch, bearer token).
import { OWNER_EMAIL, OWNER_PASSWORD } from './server.mjs';
import { waitFor } from './wait.mjs';

export class ApiError extends Error {
  constructor(method, path, status, body) {
    super(`${method} ${path} → ${status} ${typeof body === 'string' ? body : JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

export class Agent {
  /** @param {import('./server.mjs').ParleyServer} server */
  constructor(server, { email = OWNER_EMAIL, password = OWNER_PASSWORD } = {}) {
    this.server = server;
    this.email = email;
    this.password = password;
    this.token = null;
    this.me = null;
  }

  static async login(server, creds) {
    const a = new Agent(server, creds);
    await a.login();
    return a;
  }

  async login() {
    const out = await this.raw('POST', '/api/v1/auth/login', { email: this.email, password: this.password }, false);
    this.token = out.token;
    this.me = out.agent;
    return out;
  }

  async raw(method, path, body, auth = true) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth) headers.Authorization = `Bearer ${this.token}`;
    const res = await fetch(this.server.url(path), {
      method, headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10000),
    });
    const text = await res.text();
    let data = text;
    try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    if (!res.ok) throw new ApiError(method, path, res.status, data);
    return data;
  }

  /** An authenticated call; signs in (again) once on a 401. */
  async request(method, path, body) {
    if (!this.token) await this.login();
    try {
      return await this.raw(method, path, body);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        await this.login();
        return this.raw(method, path, body);
      }
      throw e;
    }
  }

  setStatus(status) { return this.request('PATCH', '/api/v1/me', { status }); }
  account() { return this.request('GET', '/api/v1/account'); }
  async widgetKey() { return (await this.account()).widget_key; }

  /** Every conversation of a list (all pages). */
  async conversations({ status = 'open', view = 'all' } = {}) {
    const items = [];
    let cursor = '';
    do {
      const q = new URLSearchParams({ status, view, limit: '200' });
      if (cursor) q.set('cursor', cursor);
      const page = await this.request('GET', `/api/v1/conversations?${q}`);
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }

  /** Open and resolved conversations together. */
  async allConversations() {
    return [...await this.conversations({ status: 'open' }), ...await this.conversations({ status: 'resolved' })];
  }

  conversation(id) { return this.request('GET', `/api/v1/conversations/${id}`); }

  /** Every message of a conversation, oldest first (notes and events included). */
  async messages(conversationId) {
    const items = [];
    let after = 0;
    for (;;) {
      const page = await this.request('GET', `/api/v1/conversations/${conversationId}/messages?after_seq=${after}&limit=200`);
      items.push(...page.items);
      if (!page.next_cursor || page.items.length === 0) return items;
      after = page.items[page.items.length - 1].seq;
    }
  }

  reply(conversationId, text, clientId = `e2e-${Date.now()}-${Math.random().toString(36).slice(2)}`) {
    return this.request('POST', `/api/v1/conversations/${conversationId}/messages`, { text, client_id: clientId });
  }

  contact(id) { return this.request('GET', `/api/v1/contacts/${id}`); }
  /** The pages the contact's visitors opened, newest first. */
  async contactPages(id) { return (await this.request('GET', `/api/v1/contacts/${id}/pages`)).items; }
  widgetSettings() { return this.request('GET', '/api/v1/widget'); }
  updateWidget(patch) { return this.request('PATCH', '/api/v1/widget', patch); }

  /**
   * Waits until a conversation holds a message with exactly this text and
   * returns {conversation, messages}.
   */
  async findConversationWithMessage(text, { timeout = 5000, sender } = {}) {
    return waitFor(async () => {
      for (const c of await this.allConversations()) {
        const msgs = await this.messages(c.id);
        if (msgs.some((m) => m.text === text && (!sender || m.sender_type === sender))) {
          return { conversation: c, messages: msgs };
        }
      }
      return null;
    }, { timeout, message: `no conversation with the message ${JSON.stringify(text)} reached the agent API` });
  }
}

/**
 * The agent stream (GET /api/v1/stream), opened in a browser page on Parley's
 * own origin (the stream refuses other origins; Node 20 has no WebSocket).
 */
export async function openAgentStream(browser, agent) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(agent.server.url('/healthz'));
  const url = agent.server.url(`/api/v1/stream?token=${encodeURIComponent(agent.token)}`).replace(/^http/, 'ws');
  await page.evaluate((url) => new Promise((resolve, reject) => {
    window.__frames = [];
    const ws = new WebSocket(url);
    window.__ws = ws;
    ws.onmessage = (e) => { try { window.__frames.push(JSON.parse(e.data)); } catch { /* not JSON */ } };
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('agent stream failed to open'));
  }), url);
  return {
    frames: () => page.evaluate(() => window.__frames),
    send: (frame) => page.evaluate((f) => window.__ws.send(JSON.stringify(f)), frame),
    close: () => context.close(),
  };
}
