// The agent dashboard (web/dashboard, docs/dashboard-contract.md): fixtures,
// a page object for its data-testid elements, and a visitor over the real
// visitor API (/widget/v1) for tests that need no chat box.
//
// Per file: one server, the owner signed in over the API (bearer), a limited
// agent, one Chromium. Per test: fresh browser contexts (one per signed-in
// agent or visitor), all closed afterwards; on a failure every open page is
// screenshotted and the console errors and the server log's tail are added.
import { after, before, test } from 'node:test';
import { Agent, ApiError } from './agent.mjs';
import { launchBrowser, newVisitor, nonce, screenshot, Widget } from './browser.mjs';
import { OWNER_EMAIL, OWNER_PASSWORD, startParley } from './server.mjs';
import { waitFor } from './wait.mjs';

export const LIMITED_PASSWORD = 'e2e-limited-password';

/** Fails clearly when the binary serves no built dashboard at /login. */
export async function requireDashboard(server) {
  const res = await fetch(server.url('/login'), { signal: AbortSignal.timeout(5000) });
  const html = await res.text();
  if (res.status !== 200 || !/\/assets\/[^"']+\.js/.test(html)) {
    throw new Error(`e2e: GET /login answered ${res.status} without the dashboard's /assets/*.js ` +
      `(${html.replace(/\s+/g, ' ').slice(0, 160)}…): the binary does not serve the built dashboard. ` +
      'Run `make build` (or `cd web/dashboard && npm run build`, then `go build -o bin/parley ./cmd/parley`).');
  }
}

/**
 * Per-file fixtures: env.server, env.owner (Agent over the API), env.limited
 * (a limited agent, role "agent", over the API), env.widgetKey, env.browser.
 */
export function useDashboard(name, { limited = true, serverEnv = {} } = {}) {
  const env = { name, server: null, owner: null, limited: null, widgetKey: null, browser: null };
  before(async () => {
    // serverEnv is read now, so a before() registered earlier may fill it.
    env.server = await startParley(name, { env: serverEnv });
    await requireDashboard(env.server);
    env.owner = await Agent.login(env.server);
    env.widgetKey = await env.owner.widgetKey();
    if (limited) env.limited = await createAgent(env.owner, { name: 'Lena Limited', role: 'agent' });
    env.browser = await launchBrowser();
    console.log(`e2e ${name}: ${env.server.baseURL} (log ${env.server.logPath})`);
  });
  after(async () => {
    await env.browser?.close().catch(() => {});
    await env.server?.dispose();
  });
  return env;
}

/** Creates an agent through the owner's API and returns it signed in over the API. */
export async function createAgent(owner, { name = `Agent ${nonce()}`, email, password = LIMITED_PASSWORD, role = 'agent' } = {}) {
  email ??= `${name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}.${nonce()}@e2e.example.com`;
  await owner.request('POST', '/api/v1/agents', { email, name, password, role });
  return Agent.login(owner.server, { email, password });
}

/**
 * A test with helpers to open signed-in dashboards and chat-box visitors,
 * each in its own browser context. fn(t, s) with s: Session. Other options
 * (e.g. `todo`) go to node:test's test().
 */
export function dashTest(env, name, fn, { timeout = 30000, ownerStatus = 'online', ...testOptions } = {}) {
  test(name, { timeout, ...testOptions }, async (t) => {
    if (ownerStatus) await env.owner.setStatus(ownerStatus);
    const s = new Session(env, t);
    try {
      await fn(t, s);
    } catch (e) {
      e.message += await s.describeFailure(name);
      throw e;
    } finally {
      await s.close();
    }
  });
}

export class Session {
  constructor(env, t) {
    this.env = env;
    this.t = t;
    this.opened = []; // {label, context, page, problems}
  }

  async #context(label, opts) {
    const v = await newVisitor(this.env.browser, opts);
    this.opened.push({ label, ...v });
    return v;
  }

  /** A new context with the dashboard signed in (through the login form) as creds' agent. */
  async dashboard(creds = { email: OWNER_EMAIL, password: OWNER_PASSWORD }, { viewport, locale, label } = {}) {
    const opts = {};
    if (viewport) opts.viewport = viewport;
    if (locale) opts.locale = locale;
    const v = await this.#context(label || `dashboard ${creds.email}`, opts);
    const d = new Dashboard(v.page, this.env.server, v.problems);
    await d.login(creds.email, creds.password);
    return d;
  }

  /** A new context with a signed-out page on /login. */
  async loginPage() {
    const v = await this.#context('login page');
    const d = new Dashboard(v.page, this.env.server, v.problems);
    await d.gotoLogin();
    return d;
  }

  /** A new visitor context on /demo with the chat box open; opts go to the browser context (e.g. extraHTTPHeaders). */
  async chatBox(p = '/demo', opts = {}) {
    const v = await this.#context(`visitor ${p}`, opts);
    const w = await Widget.open(v.page, this.env.server, p);
    await w.openPanel();
    return { ...v, widget: w };
  }

  async describeFailure(name) {
    const lines = [];
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 50);
    for (const [i, o] of this.opened.entries()) {
      let shot = '';
      try {
        shot = await screenshot(o.page, `dashboard-FAILED-${slug}-${i}`, this.t);
      } catch { /* closed */ }
      lines.push(`-- ${o.label} at ${o.page.url()} ${shot ? `(screenshot ${shot})` : ''}`);
      lines.push(`   console errors: ${o.problems.length ? o.problems.join('\n     ') : '(none)'}`);
    }
    return `\n${lines.join('\n')}\n-- ${this.env.server.tail()}`;
  }

  async close() {
    for (const o of this.opened) await o.context.close().catch(() => {});
  }
}

/** All problems (console errors, uncaught exceptions) of the session that are CSP violations. */
export function cspViolations(problems) {
  return problems.filter((p) => /Content[- ]Security[- ]Policy|Refused to/i.test(p));
}

/** The dashboard as a page object over its data-testid elements. */
export class Dashboard {
  /** @param {import('playwright-core').Page} page */
  constructor(page, server, problems = []) {
    this.page = page;
    this.server = server;
    this.problems = problems;
  }

  t(id) { return this.page.locator(`[data-testid="${id}"]`); }

  async gotoLogin() {
    const res = await this.page.goto(this.server.url('/login'), { waitUntil: 'domcontentloaded' });
    if (!res || res.status() !== 200) throw new Error(`e2e: GET /login answered ${res && res.status()}`);
    await this.t('login-form').waitFor({ state: 'visible' });
  }

  /** Signs in through the form; with expectOk waits for the shell's nav. */
  async login(email, password, { expectOk = true } = {}) {
    if (!(await this.t('login-form').isVisible())) await this.gotoLogin();
    const form = this.t('login-form');
    await form.locator('input[name="email"]').fill(email);
    await form.locator('input[name="password"]').fill(password);
    await this.t('login-submit').click();
    if (expectOk) await this.t('nav').waitFor({ state: 'visible' });
  }

  /** GET /api/v1/auth/session from inside the page (its cookie): the status. */
  sessionStatus() {
    return this.page.evaluate(() => fetch('/api/v1/auth/session', { credentials: 'same-origin' }).then((r) => r.status));
  }

  // ---- the list

  /** Clicks the Open or Resolved tab and, for Open, a view (unassigned|mine|others|all). */
  async list(tab = 'open', view) {
    await this.t(`tab-${tab}`).click();
    if (view) await this.t(`view-${view}`).click();
  }

  /** The number shown in a sub-tab's count (an empty count is 0). */
  async count(view) {
    const txt = (await this.t(`view-${view}`).locator('[data-testid="count"]').textContent({ timeout: 5000 }))?.trim() ?? '';
    if (txt === '') return 0;
    const n = Number.parseInt(txt.replace(/[^0-9]/g, ''), 10);
    return Number.isNaN(n) ? txt : n;
  }

  async counts() {
    const out = {};
    for (const v of ['unassigned', 'mine', 'others', 'all']) out[v] = await this.count(v);
    return out;
  }

  /** Waits until the shown counts equal `want` (a subset of {unassigned, mine, others, all}). */
  async waitCounts(want, { timeout = 5000, message = 'the counts' } = {}) {
    let last;
    try {
      await waitFor(async () => {
        last = await this.counts();
        return Object.entries(want).every(([k, v]) => last[k] === v);
      }, { timeout, message });
    } catch {
      throw new Error(`${message}: want ${JSON.stringify(want)}, shown ${JSON.stringify(last)} (after ${timeout} ms)`);
    }
  }

  row(id) { return this.page.locator(`[data-testid="conversation-row"][data-id="${id}"]`); }

  /** The rows shown, in DOM order. */
  rows() {
    return this.t('conversation-row').evaluateAll((els) => els.map((el) => {
      const q = (id) => el.querySelector(`[data-testid="${id}"]`);
      const resolve = q('row-resolve');
      return {
        id: el.getAttribute('data-id'),
        channel: el.getAttribute('data-channel'),
        status: el.getAttribute('data-status'),
        name: q('row-name')?.textContent?.trim() ?? null,
        preview: q('row-preview')?.textContent?.trim() ?? null,
        unread: !!q('row-unread'),
        resolve: resolve ? { disabled: resolve.disabled || resolve.getAttribute('aria-disabled') === 'true', title: resolve.getAttribute('title') } : null,
      };
    }));
  }

  /** Waits until a row with this conversation id is shown (and pred holds for it); returns it. */
  async waitRow(id, { pred = () => true, timeout = 5000, message } = {}) {
    let rows = [];
    try {
      return await waitFor(async () => {
        rows = await this.rows();
        const r = rows.find((x) => x.id === id);
        return r && pred(r) ? r : null;
      }, { timeout, message: 'row' });
    } catch {
      throw new Error(`${message || `the row of conversation ${id} was not shown`} (within ${timeout} ms; rows shown: ${JSON.stringify(rows)})`);
    }
  }

  /** Waits until no row with this id is shown. */
  async waitNoRow(id, { timeout = 5000, message } = {}) {
    let rows = [];
    try {
      await waitFor(async () => {
        rows = await this.rows();
        return !rows.some((x) => x.id === id);
      }, { timeout, message: 'no row' });
    } catch {
      throw new Error(`${message || `the row of conversation ${id} is still shown`} (within ${timeout} ms; rows shown: ${JSON.stringify(rows)})`);
    }
  }

  // ---- the conversation

  get conversation() { return this.t('conversation'); }

  /** Opens a conversation by clicking its row; waits for the centre column. */
  async open(id) {
    await this.row(id).locator('[data-testid="row-name"]').click();
    await this.page.locator(`[data-testid="conversation"][data-id="${id}"]`).waitFor({ state: 'visible' });
  }

  /** The messages shown in the open conversation, in DOM order. */
  messages() {
    return this.conversation.locator('[data-testid="message"]').evaluateAll((els) => els.map((el) => ({
      kind: el.getAttribute('data-kind'),
      sender: el.getAttribute('data-sender'),
      text: el.querySelector('[data-testid="message-text"]')?.textContent ?? null,
    })));
  }

  /** Waits until a message matching pred is shown; returns it. */
  async waitMessage(pred, { timeout = 5000, message = 'message not shown in the dashboard' } = {}) {
    let msgs = [];
    try {
      return await waitFor(async () => (msgs = await this.messages()).find(pred), { timeout, message });
    } catch {
      throw new Error(`${message} (within ${timeout} ms; shown: ${JSON.stringify(msgs.slice(-8))})`);
    }
  }

  /** Writes in the composer as a reply or a note and clicks Send. */
  async send(text, { mode = 'reply' } = {}) {
    await this.t(`mode-${mode}`).click();
    await this.t('composer').fill(text);
    await this.t('send').click();
  }

  /** Saves a screenshot of the dashboard. */
  shot(name, t) { return screenshot(this.page, name, t); }
}

/**
 * A visitor over the real visitor API (no browser): session, send, read,
 * identify. For tests that only need someone to write.
 */
export class ApiVisitor {
  constructor(server, session) {
    this.server = server;
    this.session = session;
    this.token = session.visitor_token;
  }

  static async start(server, widgetKey, { token, page = { url: server.url('/demo'), title: 'Demo shop' } } = {}) {
    const s = await visitorCall(server, 'POST', '/widget/v1/session', { widget_key: widgetKey, visitor_token: token, page });
    return new ApiVisitor(server, s);
  }

  /** Sends a message; returns the stored Message (with conversation_id). */
  send(text, clientId = `e2e-v-${Date.now()}-${nonce()}`) {
    return visitorCall(this.server, 'POST', '/widget/v1/messages', { text, client_id: clientId }, this.token);
  }

  /** Every message the visitor can read of the latest conversation (never notes). */
  async messages() {
    const items = [];
    let after = 0;
    for (;;) {
      const page = await visitorCall(this.server, 'GET', `/widget/v1/messages?after_seq=${after}&limit=200`, undefined, this.token);
      items.push(...page.items);
      if (!page.next_cursor || page.items.length === 0) return items;
      after = page.items[page.items.length - 1].seq;
    }
  }

  identify(fields) { return visitorCall(this.server, 'POST', '/widget/v1/identify', fields, this.token); }
}

/** One call of the visitor API (bearer visitor token). */
export async function visitorCall(server, method, path, body, token) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(server.url(path), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  let data = text;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) throw new ApiError(method, path, res.status, data);
  return data;
}

/** GET /api/v1/conversations/counts for an agent, as {unassigned, mine, others, all, resolved}. */
export async function apiCounts(agent) {
  const c = await agent.request('GET', '/api/v1/conversations/counts');
  return { ...c.open, resolved: c.resolved };
}

/** Marks the page so that a later check can tell it was not reloaded. */
export async function markNoReload(page) {
  await page.evaluate(() => { window.__e2eNoReload = 1; });
  return async () => (await page.evaluate(() => window.__e2eNoReload)) === 1;
}
