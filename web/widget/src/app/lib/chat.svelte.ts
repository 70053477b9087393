// The chat box's state and its conversation with the server: the session,
// history, the live socket, sending (and resending) the visitor's messages,
// identify, typing and page views. Components read its fields (Svelte
// state) and call its methods; nothing here touches the DOM of the chat.
//
// How no message is lost:
// - a message the visitor writes is kept (memory + localStorage) under a
//   random client_id until the server has stored it (ack, echo or HTTP
//   reply); it is resent with the same client_id after every reconnect, and
//   over HTTP when the socket has been down for a while — the server stores
//   a client_id once, so resending never doubles a message;
// - the socket resumes with after_seq = the highest seq seen on the stream
//   or in history; after a reset (or when nothing is known yet) the history
//   is loaded again over HTTP;
// - every arrival goes through MessageBook, which keys messages by id and
//   client_id, so nothing shows twice.
import { ApiError, createApi, type Api } from './api';
import { backoff } from './backoff';
import { MessageBook, type Item, type Pending, type Source } from './book';
import { isColor } from './color';
import { chime } from './sound';
import { Link, type LinkState } from './socket';
import { load, save } from './storage';
import {
  DEFAULT_SETTINGS,
  type Conversation,
  type Identity,
  type Message,
  type ServerFrame,
  type Session,
  type WidgetSettings,
} from './types';
import { uuid } from './uuid';
import type { Page } from '../../shared/protocol';
import type { ToHost } from './host';

export const MAX_TEXT = 10_000;
const FALLBACK_AFTER = 8_000; // socket down this long: HTTP takes over
const POLL_EVERY = 5_000;
const ACK_TIMEOUT = 10_000;
const RETRY_AFTER = 5_000;
const TYPING_EVERY = 3_000;
const TYPING_IDLE = 4_000;
const AGENT_TYPING_TTL = 8_000;

export interface HostPort {
  post(m: ToHost): void;
}

export interface ChatDeps {
  api?: Api;
  WebSocket?: typeof WebSocket;
  random?: () => number;
  sound?: () => void;
}

/** What the host page's event callbacks receive. */
export interface PublicMessage {
  id: string;
  conversation_id: string;
  text: string;
  sender_type: string;
  sender_name?: string;
  created_at: string;
}

function publicMessage(m: Message): PublicMessage {
  const p: PublicMessage = {
    id: m.id,
    conversation_id: m.conversation_id,
    text: m.text,
    sender_type: m.sender_type,
    created_at: m.created_at,
  };
  if (m.sender_type === 'agent') p.sender_name = m.sender_name ?? '';
  return p;
}

export function mergeIdentity(a: Identity | null, b: Identity): Identity {
  const out: Identity = { ...(a ?? {}), ...b };
  if (a?.variables || b.variables) out.variables = { ...(a?.variables ?? {}), ...(b.variables ?? {}) };
  // A user_hash signs its own user_id: a new id never keeps an old hash.
  if (b.user_id !== undefined) {
    if (b.user_hash === undefined) delete out.user_hash;
    else out.user_hash = b.user_hash;
  }
  return out;
}

function settingsFrom(w: Partial<WidgetSettings> | undefined): WidgetSettings {
  const s = { ...DEFAULT_SETTINGS };
  if (!w || typeof w !== 'object') return s;
  if (isColor(w.color)) s.color = w.color;
  if (w.position === 'left' || w.position === 'right') s.position = w.position;
  if (typeof w.greeting === 'string') s.greeting = w.greeting;
  if (typeof w.offline_form === 'boolean') s.offline_form = w.offline_form;
  if (w.prechat === 'off' || w.prechat === 'optional' || w.prechat === 'required') s.prechat = w.prechat;
  if (typeof w.privacy_url === 'string' && /^https?:\/\//i.test(w.privacy_url)) s.privacy_url = w.privacy_url;
  if (typeof w.consent_required === 'boolean') s.consent_required = w.consent_required;
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Chat {
  // What the components show.
  items = $state<Item[]>([]);
  team = $state('');
  online = $state(false);
  settings = $state<WidgetSettings>({ ...DEFAULT_SETTINGS });
  colorOverride = $state('');
  conversation = $state<Conversation | null>(null);
  ready = $state(false);
  linkState = $state<LinkState>('down');
  /** The connection is down after having worked (or never came up): "Reconnecting…". */
  trouble = $state(false);
  /** An agent's name while they type ('' when the name is unknown), else null. */
  typingName = $state<string | null>(null);
  isOpen = $state(false);
  hidden = $state(false);
  narrow = $state(false);
  muted = $state(false);
  draft = $state('');
  lastRead = $state(0);
  prechatDone = $state(false);
  offlineSentTo = $state('');

  color = $derived(isColor(this.colorOverride) ? this.colorOverride : this.settings.color);
  unread = $derived(this.items.filter((i) => i.sender === 'agent' && i.kind === 'text' && i.seq > this.lastRead).length);
  hasVisitorMessages = $derived(this.items.some((i) => i.sender === 'visitor'));

  readonly api: Api;
  private book: MessageBook;
  private link: Link;
  private token = '';
  private tokenKey = '';
  private cursor = 0;
  private needHistory = true;
  private everOpen = false;
  private readKnown = false;
  private mine = new Set<string>();
  private who: Identity | null = null;
  private pages: Page[] = [];
  private fallback = false;
  private busyPoll = false;
  private busyFlush = false;
  private renewing = false;
  private typingOn = false;
  private typingAt = 0;
  private readyResolve!: () => void;
  private whenReady = new Promise<void>((r) => (this.readyResolve = r));
  private t: Record<string, ReturnType<typeof setTimeout> | undefined> = {};
  private sound: () => void;
  private random: () => number;

  constructor(
    readonly key: string,
    private host: HostPort,
    deps: ChatDeps = {},
  ) {
    this.api = deps.api ?? createApi();
    this.sound = deps.sound ?? chime;
    this.random = deps.random ?? Math.random;
    this.book = new MessageBook(load<Pending[]>(this.k('pending')) ?? []);
    for (const p of this.book.pending) this.mine.add(p.client_id);
    this.muted = load<boolean>(this.k('mute')) === true;
    this.prechatDone = load<boolean>(this.k('prechat')) === true;
    const read = load<number>(this.k('read'));
    if (typeof read === 'number') {
      this.lastRead = read;
      this.readKnown = true;
    }
    this.items = this.book.items();
    this.link = new Link({
      url: () => this.api.streamURL(this.token, this.cursor),
      onOpen: () => this.onOpen(),
      onFrame: (f) => this.onFrame(f),
      onState: (s) => this.onLinkState(s),
      WebSocket: deps.WebSocket,
      random: this.random,
    });
  }

  private k(what: string): string {
    return `parley:${what}:${this.key}`;
  }

  // ---- start ---------------------------------------------------------------

  /** Starts the session: token from the host (or this frame's own copy), the first page view. */
  async boot(hostToken: string, page: Page | undefined, hostOrigin: string): Promise<void> {
    this.tokenKey = `parley:token:${this.key}:${hostOrigin || 'direct'}`;
    this.token = hostToken || load<string>(this.tokenKey) || '';
    let s: Session | null = null;
    for (let attempt = 0; !s; attempt++) {
      try {
        s = await this.api.session(this.key, this.token, page);
      } catch (e) {
        if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 429 && e.status !== 408) {
          console.warn('parley: the chat box cannot start: ' + e.message);
          this.setHidden(true);
          return;
        }
        this.trouble = true;
        await sleep(backoff(attempt, this.random));
      }
    }
    this.applySession(s);
    await this.loadHistory();
    this.trouble = false;
    this.link.start();
    this.listen();
    void this.flushIdentity();
  }

  private applySession(s: Session) {
    this.setToken(s.visitor_token);
    this.team = typeof s.account_name === 'string' ? s.account_name : '';
    this.online = !!s.online;
    this.conversation = s.conversation ?? null;
    this.settings = settingsFrom(s.widget);
    this.ready = true;
    this.readyResolve();
    this.postResize();
  }

  private setToken(token: string) {
    if (!token) return;
    this.token = token;
    save(this.tokenKey, token);
    this.host.post({ type: 'token', token });
  }

  private listen() {
    if (typeof window === 'undefined') return;
    window.addEventListener('online', () => this.link.kick());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState !== 'visible') return;
      this.link.kick();
      if (this.isOpen) this.markRead();
    });
    window.addEventListener('storage', (e) => {
      if (e.key !== this.k('read') || !e.newValue) return;
      const n = Number(e.newValue);
      if (n > this.lastRead) this.lastRead = n;
    });
  }

  // ---- arrivals --------------------------------------------------------------

  private async loadHistory(): Promise<void> {
    if (!this.token) return;
    try {
      const list = await this.api.messages(this.token);
      this.takeAll(list, 'history');
      this.cursor = Math.max(this.cursor, this.book.maxSeq());
      this.needHistory = false;
      if (!this.readKnown) {
        this.readKnown = true;
        this.lastRead = this.book.maxSeq();
        save(this.k('read'), this.lastRead);
      }
    } catch (e) {
      this.httpError(e);
    }
  }

  private takeAll(list: Message[], source: Source) {
    for (const m of list) this.take(m, source, false);
    this.changed();
  }

  private take(m: Message, source: Source, refresh = true) {
    if (!m || typeof m !== 'object' || typeof m.id !== 'string') return;
    const fresh = this.book.receive(m, source);
    if (m.sender_type === 'visitor' && m.client_id && this.mine.delete(m.client_id)) {
      this.host.post({ type: 'event', name: 'message_sent', data: publicMessage(m) });
    }
    if (fresh && source !== 'history' && m.sender_type === 'agent' && m.kind === 'text') {
      this.typingName = null;
      this.host.post({ type: 'event', name: 'message_received', data: publicMessage(m) });
      this.ding(m.id);
    }
    if (refresh) this.changed();
  }

  private changed() {
    this.items = this.book.items();
    if (this.isOpen) this.markRead();
    // Several tabs share the stored list: keep what others queued, drop
    // what this tab knows is stored or refused, add this tab's own.
    const mineNow = new Map(this.book.pending.map((p) => [p.client_id, p]));
    const stored = (load<Pending[]>(this.k('pending')) ?? []).filter(
      (p) => p && !mineNow.has(p.client_id) && !this.book.settled(p.client_id),
    );
    const keep = [...stored, ...this.book.pending.filter((p) => !p.error)];
    save(this.k('pending'), keep.length ? keep : null);
  }

  private ding(id: string) {
    if (this.muted) return;
    // Only one tab chimes for a message.
    if (load<string>(this.k('chimed')) === id) return;
    save(this.k('chimed'), id);
    this.sound();
  }

  private onFrame(f: ServerFrame) {
    switch (f.type) {
      case 'message.created':
        this.bump(f.seq);
        this.take(f.data, 'echo');
        this.armAck();
        break;
      case 'conversation.updated':
        this.bump(f.seq);
        if (f.data && typeof f.data.id === 'string') this.conversation = f.data;
        break;
      case 'ack':
        if (f.data) this.take(f.data, 'ack');
        this.armAck();
        break;
      case 'error':
        this.onError(f);
        break;
      case 'reset':
        // The server no longer has what we missed: start over from history.
        this.cursor = 0;
        this.needHistory = true;
        break;
      case 'typing':
        if (f.data && f.data.sender_type === 'agent') this.agentTyping(f.data.name ?? '', !!f.data.on);
        break;
      case 'presence':
        if (f.data && typeof f.data.online === 'boolean') this.online = f.data.online;
        break;
    }
  }

  private bump(seq: unknown) {
    if (typeof seq === 'number' && seq > this.cursor) this.cursor = seq;
  }

  private onError(f: Extract<ServerFrame, { type: 'error' }>) {
    const cid = f.client_id;
    if (!cid) return;
    const code = f.error?.code ?? '';
    if (code === 'rate_limited' || code === 'internal' || code === 'unavailable') {
      clearTimeout(this.t.ack);
      clearTimeout(this.t.retry);
      this.t.retry = setTimeout(() => this.resendAll(), RETRY_AFTER);
      return;
    }
    this.book.fail(cid, f.error?.message || code);
    this.changed();
  }

  private agentTyping(name: string, on: boolean) {
    clearTimeout(this.t.agentTyping);
    if (!on) {
      this.typingName = null;
      return;
    }
    this.typingName = name;
    this.t.agentTyping = setTimeout(() => (this.typingName = null), AGENT_TYPING_TTL);
  }

  // ---- the socket --------------------------------------------------------------

  private onOpen() {
    this.everOpen = true;
    this.stopFallback();
    if (this.needHistory || this.cursor === 0) void this.loadHistory();
    this.resendAll();
    this.flushPages();
  }

  private onLinkState(s: LinkState) {
    this.linkState = s;
    if (s === 'open') {
      this.trouble = false;
      return;
    }
    if (s === 'down') {
      this.typingOn = false;
      this.typingName = null;
      clearTimeout(this.t.ack);
      if (this.everOpen || this.link.failures > 0) this.trouble = true;
      if (!this.fallback && this.t.fallback === undefined) {
        this.t.fallback = setTimeout(() => this.startFallback(), FALLBACK_AFTER);
      }
    }
  }

  private startFallback() {
    this.t.fallback = undefined;
    if (this.linkState === 'open') return;
    this.fallback = true;
    void this.poll();
    clearInterval(this.t.poll);
    this.t.poll = setInterval(() => void this.poll(), POLL_EVERY);
  }

  private stopFallback() {
    this.fallback = false;
    clearTimeout(this.t.fallback);
    this.t.fallback = undefined;
    clearInterval(this.t.poll);
  }

  /** HTTP while the socket is away: fetch what is new, send what waits. */
  private async poll() {
    if (this.busyPoll || !this.token) return;
    this.busyPoll = true;
    try {
      const list = await this.api.messages(this.token, this.cursor);
      this.takeAll(list, 'history');
      this.cursor = Math.max(this.cursor, this.book.maxSeq());
      await this.httpFlush();
    } catch (e) {
      this.httpError(e);
    } finally {
      this.busyPoll = false;
    }
  }

  private async httpFlush() {
    if (this.busyFlush) return;
    this.busyFlush = true;
    try {
      for (const p of this.book.unsent()) {
        try {
          this.take(await this.api.send(this.token, p.text, p.client_id), 'http');
        } catch (e) {
          if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 408 && e.status !== 429) {
            this.book.fail(p.client_id, e.message);
            this.changed();
            continue;
          }
          this.httpError(e);
          break;
        }
      }
    } finally {
      this.busyFlush = false;
    }
  }

  /** A 401 means the visitor token is gone: start a new visitor. */
  private httpError(e: unknown) {
    if (e instanceof ApiError && e.status === 401) void this.renew();
  }

  private async renew() {
    if (this.renewing) return;
    this.renewing = true;
    try {
      this.token = '';
      const s = await this.api.session(this.key, '', undefined);
      this.cursor = 0;
      this.needHistory = true;
      this.applySession(s);
      this.link.restart();
    } catch {
      // tried again on the next 401
    } finally {
      this.renewing = false;
    }
  }

  // ---- sending -------------------------------------------------------------------

  /** Sends a message of the visitor. False when there is nothing to send. */
  send(raw: string): boolean {
    const text = raw.trim();
    if (!text || [...text].length > MAX_TEXT) return false;
    const p = this.book.add(text, uuid());
    this.mine.add(p.client_id);
    this.typingOff();
    this.changed();
    this.deliver(p);
    return true;
  }

  retry(clientId: string): void {
    this.book.retry(clientId);
    this.changed();
    const p = this.book.unsent().find((x) => x.client_id === clientId);
    if (p) this.deliver(p);
  }

  private deliver(p: Pending) {
    if (this.link.send({ type: 'message.send', client_id: p.client_id, text: p.text })) {
      this.armAck();
      return;
    }
    if (this.fallback) void this.httpFlush();
    else this.link.kick();
  }

  private resendAll() {
    clearTimeout(this.t.retry);
    for (const p of this.book.unsent()) this.deliver(p);
  }

  /** Messages sent on an open socket but never acknowledged: the socket is likely dead. */
  private armAck() {
    clearTimeout(this.t.ack);
    if (!this.book.unsent().length) return;
    this.t.ack = setTimeout(() => {
      if (this.book.unsent().length && this.linkState === 'open') this.link.restart();
    }, ACK_TIMEOUT);
  }

  // ---- typing and pages ------------------------------------------------------------

  /** The visitor typed in the composer. */
  typed(): void {
    if (!this.draft.trim()) {
      this.typingOff();
      return;
    }
    const now = Date.now();
    if (!this.typingOn || now - this.typingAt > TYPING_EVERY) {
      if (this.link.send({ type: 'typing', on: true })) {
        this.typingOn = true;
        this.typingAt = now;
      }
    }
    clearTimeout(this.t.typingIdle);
    this.t.typingIdle = setTimeout(() => this.typingOff(), TYPING_IDLE);
  }

  typingOff(): void {
    clearTimeout(this.t.typingIdle);
    if (!this.typingOn) return;
    this.typingOn = false;
    this.link.send({ type: 'typing', on: false });
  }

  /** The host page navigated (single-page app). */
  page(p: Page): void {
    if (!p || typeof p.url !== 'string') return;
    this.pages.push({ url: p.url, title: String(p.title ?? '') });
    if (this.pages.length > 20) this.pages.shift();
    this.flushPages();
  }

  private flushPages() {
    while (this.pages.length) {
      const p = this.pages[0]!;
      if (!this.link.send({ type: 'page.view', url: p.url, title: p.title, referrer: '' })) return;
      this.pages.shift();
    }
  }

  // ---- the visitor's details -------------------------------------------------------

  /** Queues details for the contact (JS API); sent together shortly after. */
  identify(who: Identity): void {
    this.who = mergeIdentity(this.who, who);
    clearTimeout(this.t.identify);
    this.t.identify = setTimeout(() => void this.flushIdentity(), 300);
  }

  private async flushIdentity(attempt = 0): Promise<void> {
    if (!this.token || !this.who) return;
    const who = this.who;
    this.who = null;
    try {
      await this.api.identify(this.token, who);
    } catch (e) {
      const st = e instanceof ApiError ? e.status : 0;
      if (st === 0 || st >= 500 || st === 429 || st === 401) {
        this.who = mergeIdentity(who, this.who ?? {});
        if (st === 401) await this.renew();
        if (attempt < 8) this.t.identify = setTimeout(() => void this.flushIdentity(attempt + 1), backoff(attempt + 1, this.random));
        return;
      }
      console.warn('parley: the visitor details were refused: ' + (e instanceof Error ? e.message : String(e)));
    }
  }

  /** Sends details now (forms); throws ApiError when refused. */
  async identifyNow(who: Identity): Promise<void> {
    await this.whenReady;
    await this.api.identify(this.token, who);
  }

  async submitOffline(f: { name: string; email: string; message: string; consent: boolean }): Promise<void> {
    const who: Identity = { email: f.email.trim() };
    if (f.name.trim()) who.name = f.name.trim();
    if (f.consent) who.variables = { privacy_consent: new Date().toISOString() };
    await this.identifyNow(who);
    this.send(f.message);
    this.offlineSentTo = who.email!;
  }

  async submitPrechat(f: { name: string; email: string; consent: boolean }): Promise<void> {
    const who: Identity = {};
    if (f.name.trim()) who.name = f.name.trim();
    if (f.email.trim()) who.email = f.email.trim();
    if (f.consent) who.variables = { privacy_consent: new Date().toISOString() };
    if (Object.keys(who).length) await this.identifyNow(who);
    this.finishPrechat();
  }

  finishPrechat(): void {
    this.prechatDone = true;
    save(this.k('prechat'), true);
  }

  // ---- the box itself ----------------------------------------------------------------

  /** Whether the visitor opened the chat themselves (then it takes the focus). */
  openedByVisitor = false;

  open(byVisitor = false): void {
    if (this.isOpen) return;
    this.openedByVisitor = byVisitor;
    this.isOpen = true;
    this.markRead();
    this.postResize();
    this.host.post({ type: 'event', name: 'open', data: null });
  }

  close(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.typingOff();
    this.postResize();
    this.host.post({ type: 'event', name: 'close', data: null });
  }

  /** The launcher was pressed. */
  toggle(): void {
    if (this.isOpen) this.close();
    else this.open(true);
  }

  setHidden(hidden: boolean): void {
    if (hidden && this.isOpen) this.close();
    this.hidden = hidden;
    this.host.post({ type: 'hidden', hidden });
  }

  setColor(c: unknown): boolean {
    if (!isColor(c)) return false;
    this.colorOverride = c;
    return true;
  }

  prefill(text: string): void {
    this.draft = [...text].slice(0, MAX_TEXT).join('');
  }

  toggleMute(): void {
    this.muted = !this.muted;
    save(this.k('mute'), this.muted);
  }

  markRead(): void {
    const max = this.book.maxSeq();
    if (max > this.lastRead) {
      this.lastRead = max;
      save(this.k('read'), max);
    }
  }

  postResize(): void {
    this.host.post({ type: 'resize', state: this.isOpen ? 'open' : 'closed', position: this.settings.position });
  }

  /** For tests and teardown. */
  stop(): void {
    this.link.stop();
    for (const id of Object.values(this.t)) {
      clearTimeout(id);
      clearInterval(id);
    }
  }
}
