// The typed HTTP client: cookie session + CSRF header on every non-GET call.
import type {
  Account, Agent, ApiKey, AuditEvent, Contact, Conversation, Counts, Identity, Message, NewApiKey, OnlineVisitor, Page, PageViews,
  Status, View, WidgetSettings,
} from './types';

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

type Fetch = typeof fetch;

export class Client {
  csrf = '';
  constructor(private readonly fetchFn: Fetch = (...a) => fetch(...a)) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (method !== 'GET' && method !== 'HEAD') {
      headers['X-CSRF-Token'] = this.csrf;
    }
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchFn(path, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'network', 'network');
    }
    if (res.status === 204) return undefined as T;
    let data: unknown = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (!res.ok) {
      const e = (data as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
      const ra = Number(res.headers.get('Retry-After') ?? '') || undefined;
      throw new ApiError(res.status, e?.code ?? 'error', e?.message ?? res.statusText, e?.field, ra);
    }
    return data as T;
  }

  // auth
  login(email: string, password: string) {
    return this.request<{ agent: Agent; csrf_token: string }>('POST', '/api/v1/auth/login', { email, password, cookie: true });
  }
  session() {
    return this.request<{ agent: Agent; csrf_token: string }>('GET', '/api/v1/auth/session');
  }
  logout() {
    return this.request<void>('POST', '/api/v1/auth/logout');
  }

  // me, account, team
  me() {
    return this.request<Agent>('GET', '/api/v1/me');
  }
  patchMe(p: Partial<Pick<Agent, 'name' | 'status' | 'notify_offline_messages' | 'notify_missed_conversations'>> & { password?: string; current_password?: string }) {
    return this.request<Agent>('PATCH', '/api/v1/me', p);
  }
  account() {
    return this.request<Account>('GET', '/api/v1/account');
  }
  agents() {
    return this.request<{ items: Agent[] }>('GET', '/api/v1/agents');
  }
  addAgent(a: { email: string; name: string; password: string; role: 'agent' | 'admin' }) {
    return this.request<Agent>('POST', '/api/v1/agents', a);
  }
  patchAgent(id: string, p: { name?: string; role?: 'agent' | 'admin'; active?: boolean }) {
    return this.request<Agent>('PATCH', `/api/v1/agents/${encodeURIComponent(id)}`, p);
  }
  widget() {
    return this.request<WidgetSettings>('GET', '/api/v1/widget');
  }
  patchWidget(p: Partial<WidgetSettings>) {
    return this.request<WidgetSettings>('PATCH', '/api/v1/widget', p);
  }

  // conversations
  conversations(status: Status, view: View, cursor = '', limit = 50) {
    const q = new URLSearchParams({ status, view, limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    return this.request<Page<Conversation>>('GET', `/api/v1/conversations?${q}`);
  }
  counts() {
    return this.request<Counts>('GET', '/api/v1/conversations/counts');
  }
  conversation(id: string) {
    return this.request<Conversation>('GET', `/api/v1/conversations/${encodeURIComponent(id)}`);
  }
  messages(id: string, afterSeq = 0, limit = 200) {
    return this.request<Page<Message>>('GET', `/api/v1/conversations/${encodeURIComponent(id)}/messages?after_seq=${afterSeq}&limit=${limit}`);
  }
  send(id: string, text: string, kind: 'text' | 'note', clientId: string) {
    return this.request<Message>('POST', `/api/v1/conversations/${encodeURIComponent(id)}/messages`, { text, kind, client_id: clientId });
  }
  assign(id: string, agentId: string | null) {
    return this.request<Conversation>('POST', `/api/v1/conversations/${encodeURIComponent(id)}/assign`, { agent_id: agentId });
  }
  resolve(id: string) {
    return this.request<Conversation>('POST', `/api/v1/conversations/${encodeURIComponent(id)}/resolve`);
  }
  reopen(id: string) {
    return this.request<Conversation>('POST', `/api/v1/conversations/${encodeURIComponent(id)}/reopen`);
  }

  // contacts
  contact(id: string) {
    return this.request<Contact>('GET', `/api/v1/contacts/${encodeURIComponent(id)}`);
  }
  patchContact(id: string, p: Partial<Pick<Contact, 'name' | 'email' | 'phone' | 'note'>>) {
    return this.request<Contact>('PATCH', `/api/v1/contacts/${encodeURIComponent(id)}`, p);
  }
  /** Every conversation of the contact, any channel and status, newest first. */
  contactConversations(id: string, cursor = '', limit = 20) {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    return this.request<Page<Conversation>>('GET', `/api/v1/contacts/${encodeURIComponent(id)}/conversations?${q}`);
  }
  /** The contact's page views, newest first, and its visit count. */
  pages(id: string, cursor = '', limit = 100) {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    return this.request<PageViews>('GET', `/api/v1/contacts/${encodeURIComponent(id)}/pages?${q}`);
  }

  // visitors on the site
  onlineVisitors() {
    return this.request<{ items: OnlineVisitor[] }>('GET', '/api/v1/visitors/online');
  }
  /** Starts (or continues) a chat with a visitor on the site with the agent's first message. */
  startChat(visitorId: string, text: string, clientId: string) {
    return this.request<Conversation>('POST', `/api/v1/visitors/${encodeURIComponent(visitorId)}/conversations`, { text, client_id: clientId });
  }

  // API keys and identity verification (admins and the owner)
  apiKeys() {
    return this.request<{ items: ApiKey[] }>('GET', '/api/v1/api-keys');
  }
  createApiKey(name: string) {
    return this.request<NewApiKey>('POST', '/api/v1/api-keys', { name });
  }
  revokeApiKey(id: string) {
    return this.request<void>('DELETE', `/api/v1/api-keys/${encodeURIComponent(id)}`);
  }
  identity() {
    return this.request<Identity>('GET', '/api/v1/identity');
  }
  patchIdentity(verify: boolean) {
    return this.request<Identity>('PATCH', '/api/v1/identity', { verify });
  }
  rotateIdentitySecret() {
    return this.request<Identity>('POST', '/api/v1/identity/secret');
  }

  /** The security log, newest first (the owner only). */
  audit(cursor = '', limit = 50) {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    return this.request<Page<AuditEvent>>('GET', `/api/v1/audit?${q}`);
  }
}

export const api = new Client();
