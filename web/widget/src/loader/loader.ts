// The loader runs in the shop's page. It stays tiny and framework-free:
// it takes over the `parley(...)` queue, adds the chat iframe, sizes it when
// the chat asks, keeps the visitor token, reports page views and passes API
// calls and events between the page and the chat. It must never throw into
// the host page: every entry point is guarded.

import { NARROW_PX, type Command, type FrameToHost, type HostToFrame, type Page } from '../shared/protocol';
import { readToken, writeToken } from './token';

type Handler = (data: unknown) => void;
type Queue = ArrayLike<unknown>[];
export type ParleyFn = ((...args: unknown[]) => void) & { q?: Queue; loaded?: boolean };
export type HostWindow = Window & { parley?: ParleyFn };

type Strip<T> = T extends unknown ? Omit<T, 'parley'> : never;
type Out = Strip<HostToFrame>;

const FRAME_ID = 'parley-frame';

/** Finds the loader's own script tag. */
export function findScript(d: Document): HTMLScriptElement | null {
  const s = d.currentScript as HTMLScriptElement | null;
  if (s && s.src && s.getAttribute('data-key')) return s;
  return d.querySelector<HTMLScriptElement>('script[data-key][src*="/widget/loader.js"]');
}

/** Parley's base URL from the loader's src: everything before /widget/loader.js. */
export function baseOf(src: string): string {
  return src.replace(/\/widget\/loader\.js([?#].*)?$/, '');
}

function guard<A extends unknown[]>(f: (...a: A) => void): (...a: A) => void {
  return (...a: A) => {
    try {
      f(...a);
    } catch {
      // never into the host page
    }
  };
}

export function start(w: HostWindow): void {
  const d = w.document;
  if (d.getElementById(FRAME_ID) || (w.parley && w.parley.loaded)) return;
  const script = findScript(d);
  const key = script && script.getAttribute('data-key');
  if (!script || !key) return;
  const base = baseOf(script.src);
  const origin = new URL(script.src, w.location.href).origin;

  const handlers: Record<string, Handler[]> = {};
  let buffer: Command[] | null = []; // API calls until the chat is ready
  let frame: HTMLIFrameElement | null = null;
  let state = 'closed';
  let position = 'right';
  let hidden = false;
  let lastURL = w.location.href;
  let narrow = w.innerWidth < NARROW_PX;

  const post = (m: Out) => {
    try {
      frame?.contentWindow?.postMessage({ parley: 1, ...m }, origin);
    } catch {
      // an argument that cannot be cloned: dropped
    }
  };

  const call = (args: ArrayLike<unknown>) => {
    const [name, ...rest] = Array.prototype.slice.call(args) as unknown[];
    if (typeof name !== 'string') return;
    if (name === 'on') {
      const [ev, fn] = rest;
      if (typeof ev === 'string' && typeof fn === 'function') (handlers[ev] ||= []).push(fn as Handler);
      return;
    }
    if (buffer) buffer.push({ name, args: rest });
    else post({ type: 'command', name, args: rest });
  };

  const queue = (w.parley && w.parley.q) || [];
  const api: ParleyFn = function () {
    try {
      // eslint-disable-next-line prefer-rest-params
      call(arguments);
    } catch {
      // ignore bad calls
    }
  };
  api.loaded = true;
  w.parley = api;
  for (let i = 0; i < queue.length; i++) guard(call)(queue[i]!);

  const page = (): Page => ({ url: w.location.href, title: d.title });

  const layout = () => {
    if (!frame) return;
    const side = position === 'left' ? 'left' : 'right';
    const full = state === 'open' && narrow;
    let css =
      'position:fixed;z-index:2147483000;border:0;margin:0;padding:0;background:transparent;color-scheme:light;' +
      'max-width:100%;max-height:100%;display:' + (hidden ? 'none' : 'block') + ';';
    if (full) css += 'top:0;left:0;width:100%;height:100%;';
    else {
      css += 'bottom:0;' + side + ':0;' + (state === 'open' ? 'width:400px;height:680px;' : 'width:88px;height:88px;');
    }
    frame.style.cssText = css.replace(/;/g, '!important;');
  };

  const onMessage = (e: MessageEvent) => {
    if (!frame || e.source !== frame.contentWindow || e.origin !== origin) return;
    const m = e.data as FrameToHost;
    if (!m || m.parley !== 1) return;
    switch (m.type) {
      case 'ready': {
        lastURL = w.location.href;
        post({ type: 'init', token: readToken(key, w), page: { ...page(), referrer: d.referrer }, commands: buffer || [], narrow });
        buffer = null;
        break;
      }
      case 'resize':
        state = m.state === 'open' ? 'open' : 'closed';
        position = m.position === 'left' ? 'left' : 'right';
        layout();
        break;
      case 'hidden':
        hidden = !!m.hidden;
        layout();
        break;
      case 'token':
        if (typeof m.token === 'string' && m.token) writeToken(key, m.token, w);
        break;
      case 'event':
        for (const fn of handlers[m.name] || []) guard(fn)(m.data);
        break;
    }
  };
  w.addEventListener('message', guard(onMessage));

  // Page views: the first goes with init (with the referrer); single-page
  // apps navigate with the History API, so its calls are watched too.
  let navTimer: ReturnType<typeof setTimeout> | undefined;
  const navigated = guard(() => {
    clearTimeout(navTimer);
    // Let the app set the new title first.
    navTimer = setTimeout(
      guard(() => {
        if (buffer || w.location.href === lastURL) return;
        lastURL = w.location.href;
        post({ type: 'page', page: page() });
      }),
      100,
    );
  });
  const h = w.history as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const m of ['pushState', 'replaceState']) {
    const orig = h[m];
    if (typeof orig !== 'function') continue;
    h[m] = function (this: unknown, ...a: unknown[]) {
      const r = orig.apply(this, a);
      navigated();
      return r;
    };
  }
  w.addEventListener('popstate', navigated);
  w.addEventListener('hashchange', navigated);
  w.addEventListener(
    'resize',
    guard(() => {
      const n = w.innerWidth < NARROW_PX;
      if (n === narrow) return;
      narrow = n;
      layout();
      if (!buffer) post({ type: 'viewport', narrow });
    }),
  );

  // The iframe goes in once the page has loaded (an iframe added earlier
  // would hold back the shop's own load event), or after 4 s at the latest.
  const mount = guard(() => {
    if (frame || !d.body) return;
    frame = d.createElement('iframe');
    frame.id = FRAME_ID;
    frame.title = 'Chat';
    frame.setAttribute('allow', 'autoplay');
    frame.src = base + '/widget/frame.html?key=' + encodeURIComponent(key);
    layout();
    d.body.appendChild(frame);
  });
  if (d.readyState === 'complete') mount();
  else {
    w.addEventListener('load', mount);
    const later = () => setTimeout(mount, 4000);
    if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', later);
    else later();
  }
}
