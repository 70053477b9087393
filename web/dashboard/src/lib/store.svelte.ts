// The dashboard's state: the session, the inbox (derived from HTTP loads and
// stream frames through reducer.ts), the visitors on the site, the team and
// the toasts.
import { api, ApiError } from './api';
import { Stream, streamURL, type StreamState } from './stream';
import {
  applyFrame, emptyInbox, highestSeq, listFor, markRead, matchesView, setMessages, totalUnread, upsertConversations,
  type InboxState,
} from './reducer';
import type { Agent, Contact, Conversation, Counts, Frame, Message, OnlineVisitor, Status, View } from './types';
import { afterLoad, applyConversation, applyVisitorFrame, type VisitorFrame } from './visitors';
import { navigate, router } from './router.svelte';
import { t } from './i18n.svelte';
import { displayName } from './names';
import { notify, playSound } from './attention';

interface ListPaging {
  cursor: string;
  done: boolean;
  loading: boolean;
  loaded: boolean;
}

export const app = $state({
  me: null as Agent | null,
  booted: false,
  streamState: 'connecting' as StreamState,
  /** The stream was up once: "Reconnecting…" only makes sense after that. */
  everOpen: false,
  status: 'open' as Status,
  view: 'unassigned' as View,
  counts: { open: { all: 0, unassigned: 0, mine: 0, others: 0 }, resolved: 0 } as Counts,
  paging: {} as Record<string, ListPaging>,
  agents: [] as Agent[],
  /** conversation id → who is typing */
  typing: {} as Record<string, { visitor: boolean; agents: string[] }>,
  onlineContacts: {} as Record<string, boolean>,
  toasts: [] as { id: number; text: string; kind: 'error' | 'info' }[],
  selectedIndex: -1,
  shortcutsOpen: false,
  sound: readBool('parley.sound', true),
});

export const inbox = $state<{ s: InboxState }>({ s: emptyInbox() });

/** Visitors on the site now; loaded at the start and by the Visitors page, kept live by the stream. */
export const visitors = $state({ items: [] as OnlineVisitor[], loaded: false, loading: false, error: '' });

/**
 * Counters the visitor card watches to reload its lists, which no frame
 * carries: `pages` per contact (a `visitor.online` frame means a page view),
 * `convs` per contact (a `conversation.updated` of one of its conversations)
 * and `all` (the stream came back: anything may have been missed).
 */
export const cardRefresh = $state({ pages: {} as Record<string, number>, convs: {} as Record<string, number>, all: 0 });

let stream: Stream | null = null;

function readBool(key: string, dflt: boolean): boolean {
  try {
    const v = localStorage.getItem(key);
    return v === null ? dflt : v === '1';
  } catch {
    return dflt;
  }
}

export function setSound(on: boolean) {
  app.sound = on;
  try {
    localStorage.setItem('parley.sound', on ? '1' : '0');
  } catch {
    /* ignore */
  }
}

// ---------- toasts ----------
let toastId = 0;
export function toast(text: string, kind: 'error' | 'info' = 'error') {
  if (app.toasts.some((x) => x.text === text)) return; // one of each is enough
  const id = ++toastId;
  app.toasts = [...app.toasts, { id, text, kind }];
  setTimeout(() => (app.toasts = app.toasts.filter((x) => x.id !== id)), kind === 'error' ? 7000 : 3000);
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('error.network');
    if (e.message) return e.message;
  }
  return t('error.generic');
}

// ---------- session ----------
export async function boot() {
  try {
    const s = await api.session();
    api.csrf = s.csrf_token;
    app.me = s.agent;
    app.booted = true;
    if (s.agent.two_factor_setup_required) {
      navigate('/profile', true);
      return;
    }
    if (router.route.name === 'login') navigate('/conversations', true);
    await start();
  } catch {
    app.booted = true;
    if (router.route.name !== 'login') navigate('/login', true);
  }
}

export async function login(email: string, password: string, code = '') {
  const s = await api.login(email, password, code);
  api.csrf = s.csrf_token;
  app.me = s.agent;
  if (s.agent.two_factor_setup_required) {
    // The owner requires two-factor sign-in: set it up before anything else.
    navigate('/profile', true);
    return;
  }
  navigate('/conversations', true);
  await start();
}

/** After the agent turned two-factor sign-in on: if it was required, the dashboard opens up now. */
export async function twoFactorReady(agent: Agent) {
  const wasBlocked = app.me?.two_factor_setup_required;
  app.me = agent;
  if (wasBlocked) await start();
}

export async function logout() {
  try {
    await api.logout();
  } catch {
    /* signed out anyway */
  }
  stopAll();
  navigate('/login', true);
}

function stopAll() {
  stream?.stop();
  stream = null;
  app.me = null;
  app.everOpen = false;
  app.paging = {};
  inbox.s = emptyInbox();
  visitors.items = [];
  visitors.loaded = false;
}

async function sessionLost() {
  try {
    const s = await api.session();
    if (s.agent.two_factor_setup_required) {
      // The owner now requires two-factor sign-in: set it up first.
      stopAll();
      app.me = s.agent;
      navigate('/profile', true);
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      stopAll();
      navigate('/login', true);
    }
  }
}

async function start() {
  restoreUnread();
  void loadVisitors(); // who is on the site: the Visitors page and the card's "On the site now"
  await Promise.all([refreshCounts(), loadList(app.status, app.view), loadAgents()]);
  if (router.route.name === 'conversations' && router.route.id) await openConversation(router.route.id);
  stream?.stop();
  stream = new Stream({
    url: (after) => streamURL(location, after),
    onFrame,
    onReset: reloadAll,
    onState: (st) => {
      app.streamState = st;
      if (st === 'open') {
        app.everOpen = true;
        scheduleCounts();
        // Visitor frames are ephemeral: none are replayed after a drop.
        if (visitors.loaded) void loadVisitors();
        cardRefresh.all++;
      } else if (st === 'down') {
        downCount++;
        if (downCount % 4 === 0) void sessionLost();
      }
    },
    onPolicyClose: () => void sessionLost(),
  });
  stream.start(highestSeq(inbox.s));
}
let downCount = 0;

// ---------- lists ----------
export const listKey = (s: Status, v: View) => (s === 'resolved' ? 'resolved' : `open:${v}`);

export function currentList(): Conversation[] {
  return app.me ? listFor(inbox.s, app.status, app.view, app.me.id) : [];
}

export async function loadList(status: Status, view: View, more = false) {
  const key = listKey(status, view);
  const p = app.paging[key] ?? { cursor: '', done: false, loading: false, loaded: false };
  if (p.loading || (more && p.done)) return;
  app.paging[key] = { ...p, loading: true };
  try {
    const page = await api.conversations(status, status === 'resolved' ? 'all' : view, more ? p.cursor : '');
    inbox.s = upsertConversations(inbox.s, page.items);
    app.paging[key] = { cursor: page.next_cursor, done: !page.next_cursor, loading: false, loaded: true };
    for (const c of page.items) void ensureContact(c.contact_id);
  } catch (e) {
    app.paging[key] = { ...p, loading: false };
    toast(errorText(e));
  }
}

export function selectList(status: Status, view: View = app.view) {
  app.status = status;
  app.view = view;
  app.selectedIndex = -1;
  // Reload on switching: cheap, and it picks up anything the events missed.
  void loadList(status, view, false);
}

let countsTimer: ReturnType<typeof setTimeout> | null = null;
/** Counts come from the server after each burst of events (debounced), never guessed. */
export function scheduleCounts(ms = 250) {
  if (countsTimer) clearTimeout(countsTimer);
  countsTimer = setTimeout(() => {
    countsTimer = null;
    void refreshCounts();
  }, ms);
}

export async function refreshCounts() {
  try {
    app.counts = await api.counts();
  } catch {
    /* the next burst retries */
  }
}

async function loadAgents() {
  try {
    app.agents = (await api.agents()).items;
  } catch {
    /* the team list is a nicety here */
  }
}
export { loadAgents };

/** After a `reset`: reload everything shown, return the highest seq loaded. */
async function reloadAll(): Promise<number> {
  const openId = router.route.name === 'conversations' ? router.route.id : null;
  const keep = inbox.s;
  inbox.s = { ...emptyInbox(), contacts: keep.contacts, unread: keep.unread };
  app.paging = {};
  await Promise.all([refreshCounts(), loadList(app.status, app.view), loadAgents()]);
  if (openId) await loadMessages(openId);
  if (visitors.loaded) await loadVisitors();
  cardRefresh.all++;
  return highestSeq(inbox.s);
}

// ---------- contacts ----------
const contactLoads = new Map<string, Promise<void>>();
export function ensureContact(id: string): Promise<void> {
  if (!id || inbox.s.contacts[id]) return Promise.resolve();
  let p = contactLoads.get(id);
  if (!p) {
    p = api
      .contact(id)
      .then((c) => {
        inbox.s = { ...inbox.s, contacts: { ...inbox.s.contacts, [c.id]: c } };
      })
      .catch(() => {})
      .finally(() => contactLoads.delete(id));
    contactLoads.set(id, p);
  }
  return p;
}

/** Whether a visitor of the contact has a chat box open now. */
export function contactOnline(contactId: string): boolean {
  if (visitors.loaded) return visitors.items.some((v) => v.contact_id === contactId);
  return app.onlineContacts[contactId] ?? false;
}

export function contactName(contactId: string): string {
  return displayName(contactId, inbox.s.contacts[contactId], t('visitor'));
}

export async function saveContact(id: string, patch: Partial<Pick<Contact, 'name' | 'email' | 'phone' | 'note'>>): Promise<void> {
  const c = await api.patchContact(id, patch);
  inbox.s = { ...inbox.s, contacts: { ...inbox.s.contacts, [c.id]: c } };
}

// ---------- one conversation ----------
export async function openConversation(id: string) {
  inbox.s = markRead(inbox.s, id);
  saveUnread();
  if (!inbox.s.convs[id]) {
    try {
      inbox.s = upsertConversations(inbox.s, [await api.conversation(id)]);
    } catch (e) {
      toast(errorText(e));
      return;
    }
  }
  const c = inbox.s.convs[id];
  if (c) void ensureContact(c.contact_id);
  await loadMessages(id);
}

async function loadMessages(id: string) {
  try {
    let after = 0;
    for (let i = 0; i < 50; i++) {
      const page = await api.messages(id, after, 200);
      inbox.s = setMessages(inbox.s, id, page.items);
      if (!page.next_cursor || page.items.length === 0) break;
      after = Number(page.next_cursor) || (page.items[page.items.length - 1]?.seq ?? after);
    }
  } catch (e) {
    toast(errorText(e));
  }
}

async function act(fn: () => Promise<Conversation>) {
  try {
    const c = await fn();
    if (c && typeof c === 'object' && 'id' in c) inbox.s = upsertConversations(inbox.s, [c]);
    scheduleCounts(50);
  } catch (e) {
    toast(errorText(e)); // a 403 changes nothing: the state stays as it was
  }
}

export const resolve = (id: string) => act(() => api.resolve(id));
export const reopen = (id: string) => act(() => api.reopen(id));
export const assign = (id: string, agentId: string | null) => act(() => api.assign(id, agentId));
export const take = (id: string) => (app.me ? act(() => api.assign(id, app.me!.id)) : Promise.resolve());

export async function send(convId: string, text: string, kind: 'text' | 'note'): Promise<boolean> {
  const clientId = newClientId();
  const me = app.me;
  if (!me) return false;
  const pending: Message = {
    id: `pending:${clientId}`, conversation_id: convId, seq: Number.MAX_SAFE_INTEGER, kind,
    sender_type: 'agent', sender_id: me.id, sender_name: me.name, text, client_id: clientId, created_at: new Date().toISOString(),
  };
  const list = inbox.s.messages[convId] ?? [];
  inbox.s = { ...inbox.s, messages: { ...inbox.s.messages, [convId]: [...list, pending] } };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const m = await api.send(convId, text, kind, clientId);
      inbox.s = setMessages(inbox.s, convId, [m]);
      return true;
    } catch (e) {
      const retry = e instanceof ApiError && (e.status === 0 || e.status === 409 || e.status >= 500);
      if (!retry || attempt === 2) {
        const cur = inbox.s.messages[convId] ?? [];
        inbox.s = { ...inbox.s, messages: { ...inbox.s.messages, [convId]: cur.filter((x) => x.id !== pending.id) } };
        toast(errorText(e));
        return false;
      }
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
  }
  return false;
}

// Typing is tracked for one conversation at a time: moving to another one
// ends the first (an explicit "off") before the second starts.
let typingConv: string | null = null;
let typingSentAt = 0;
let typingOffTimer: ReturnType<typeof setTimeout> | null = null;

function stopTyping() {
  if (typingOffTimer) clearTimeout(typingOffTimer);
  typingOffTimer = null;
  if (typingConv) stream?.send({ type: 'typing', conversation_id: typingConv, on: false });
  typingConv = null;
  typingSentAt = 0;
}

export function typing(convId: string) {
  if (typingConv !== convId) stopTyping();
  const now = Date.now();
  if (now - typingSentAt > 2500) {
    typingConv = convId;
    typingSentAt = now;
    stream?.send({ type: 'typing', conversation_id: convId, on: true });
  }
  if (typingOffTimer) clearTimeout(typingOffTimer);
  typingOffTimer = setTimeout(stopTyping, 3000);
}

// ---------- stream frames ----------
const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();

/** Applies one stream frame to the state (exported for the tests). */
export function onFrame(f: Frame) {
  const openId = router.route.name === 'conversations' ? router.route.id : null;
  const visible = typeof document === 'undefined' || document.visibilityState === 'visible';
  if (f.type === 'typing') {
    const d = f.data;
    const cur = app.typing[d.conversation_id] ?? { visitor: false, agents: [] };
    const key = `${d.conversation_id}:${d.sender_type}:${d.agent_id ?? d.visitor_id ?? ''}`;
    if (d.sender_type === 'visitor') cur.visitor = d.on;
    else if (d.agent_id !== app.me?.id) {
      const name = d.name ?? '';
      cur.agents = d.on ? [...new Set([...cur.agents, name])] : cur.agents.filter((n) => n !== name);
    }
    app.typing[d.conversation_id] = { ...cur };
    const old = typingTimers.get(key);
    if (old) clearTimeout(old);
    if (d.on) {
      typingTimers.set(key, setTimeout(() => {
        const c = app.typing[d.conversation_id];
        if (!c) return;
        if (d.sender_type === 'visitor') c.visitor = false;
        else c.agents = c.agents.filter((n) => n !== (d.name ?? ''));
        app.typing[d.conversation_id] = { ...c };
      }, 8000));
    }
    return;
  }
  if (f.type === 'presence') {
    const d = f.data;
    if (d.agent_id && d.status) {
      app.agents = app.agents.map((a) => (a.id === d.agent_id ? { ...a, status: d.status as Agent['status'] } : a));
      if (app.me && d.agent_id === app.me.id) app.me = { ...app.me, status: d.status as Agent['status'] };
    }
    if (d.contact_id !== undefined && d.online !== undefined) app.onlineContacts[d.contact_id] = d.online;
    return;
  }
  if (f.type === 'visitor.online' || f.type === 'visitor.offline') {
    onVisitorFrame(f);
    return;
  }
  if (!app.me) return;
  const before = f.type === 'conversation.updated' ? inbox.s.convs[f.data.id]?.contact_id : undefined;
  const { state, effects } = applyFrame(inbox.s, f, { meId: app.me.id, openId, visible });
  inbox.s = state;
  if (effects.countsDirty) scheduleCounts();
  if (f.type === 'conversation.updated') {
    void ensureContact(f.data.contact_id);
    bump(cardRefresh.convs, f.data.contact_id);
    visitors.items = applyConversation(visitors.items, f.data);
    if (before && before !== f.data.contact_id) bump(cardRefresh.convs, before); // it moved to another contact
  }
  if (f.type === 'message.created' && f.data.sender_type === 'visitor') {
    const c = app.typing[f.data.conversation_id];
    if (c?.visitor) app.typing[f.data.conversation_id] = { ...c, visitor: false };
  }
  if (effects.visitorMessage) {
    saveUnread();
    const m = effects.visitorMessage;
    if (!visible) {
      if (app.sound) playSound();
      const conv = inbox.s.convs[m.conversation_id];
      const name = conv ? contactName(conv.contact_id) : t('visitor');
      notify(conv ? t('notify.newMessage', { name }) : t('notify.newConversation'), m.text.slice(0, 140), () =>
        navigate(`/conversations/${m.conversation_id}`),
      );
    }
  }
}

function bump(counters: Record<string, number>, key: string) {
  counters[key] = (counters[key] ?? 0) + 1;
}

// ---------- visitors on the site ----------
/** Frames that came while the list was loading; they are newer than its answer. */
let visitorFramesDuringLoad: VisitorFrame[] | null = null;

function onVisitorFrame(f: VisitorFrame) {
  if (f.type === 'visitor.online') {
    bump(cardRefresh.pages, f.data.contact_id);
    app.onlineContacts[f.data.contact_id] = true;
  }
  visitorFramesDuringLoad?.push(f);
  visitors.items = applyVisitorFrame(visitors.items, f);
}

let visitorsAgain = false;

/** Loads who is on the site; a call while a load is out loads once more after it (it may know of a drop the first did not). */
export async function loadVisitors() {
  if (visitors.loading) {
    visitorsAgain = true;
    return;
  }
  visitors.loading = true;
  try {
    do {
      visitorsAgain = false;
      visitorFramesDuringLoad = [];
      const { items } = await api.onlineVisitors();
      visitors.items = afterLoad(items, visitorFramesDuringLoad);
      visitors.loaded = true;
      visitors.error = '';
    } while (visitorsAgain);
  } catch (e) {
    visitors.error = errorText(e);
  } finally {
    visitorFramesDuringLoad = null;
    visitors.loading = false;
  }
}

/**
 * A client_id for a send. It begins with the time (milliseconds in base 36, eight
 * characters until 2059), so the ids sort as they were made: the server's client_id
 * index is keyed by client_id first, and ids that grow with time are written in one
 * place of it (docs/api.md).
 */
export function newClientId(now: number = Date.now()): string {
  const rand = new Uint32Array(2);
  crypto.getRandomValues(rand);
  return `d-${now.toString(36)}-${rand[0]!.toString(36)}${rand[1]!.toString(36)}`;
}

/**
 * Writes the first message to a visitor on the site and opens the
 * conversation. The caller keeps `clientId` for retries of the same message,
 * so a retry after a lost answer does not send it twice. Errors are thrown.
 */
export async function startChat(visitorId: string, text: string, clientId: string): Promise<void> {
  const c = await api.startChat(visitorId, text, clientId);
  inbox.s = upsertConversations(inbox.s, [c]);
  scheduleCounts(50);
  // Show it in the list too: usually it is the caller's, so "Mine".
  if (app.me && !matchesView(c, app.status, app.view, app.me.id)) {
    selectList(c.status, c.assignee_id === app.me.id ? 'mine' : 'all');
  }
  navigate(`/conversations/${c.id}`);
}

// ---------- unread, kept per agent across reloads ----------
function unreadKey() {
  return `parley.unread.${app.me?.id ?? ''}`;
}
function saveUnread() {
  try {
    localStorage.setItem(unreadKey(), JSON.stringify(inbox.s.unread));
  } catch {
    /* ignore */
  }
}
function restoreUnread() {
  try {
    const raw = localStorage.getItem(unreadKey());
    if (raw) inbox.s = { ...inbox.s, unread: JSON.parse(raw) as Record<string, number> };
  } catch {
    /* ignore */
  }
}

export function unreadTotal(): number {
  return totalUnread(inbox.s);
}

export function clearUnreadOnFocus() {
  const id = router.route.name === 'conversations' ? router.route.id : null;
  if (id && inbox.s.unread[id]) {
    inbox.s = markRead(inbox.s, id);
    saveUnread();
  }
}

// ---------- me ----------
export async function setStatus(status: 'online' | 'offline') {
  try {
    app.me = await api.patchMe({ status });
  } catch (e) {
    toast(errorText(e));
  }
}

export function agentName(id: string | null): string {
  if (!id) return '';
  return app.agents.find((a) => a.id === id)?.name ?? '';
}
