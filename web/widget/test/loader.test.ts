import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { baseOf, start, type HostWindow } from '../src/loader/loader';

const BASE = 'https://chat.example.com';
const KEY = 'wkey123';

function install(queue: unknown[][] = []) {
  document.body.innerHTML = '';
  document.head.innerHTML = '';
  const s = document.createElement('script');
  s.setAttribute('data-key', KEY);
  s.src = BASE + '/widget/loader.js';
  document.head.appendChild(s);
  const w = window as HostWindow;
  const stub = function (...a: unknown[]) {
    (stub.q = stub.q || []).push(a);
  } as ((...a: unknown[]) => void) & { q?: unknown[][] };
  for (const args of queue) stub(...args);
  w.parley = stub;
  start(w);
  const frame = document.getElementById('parley-frame') as HTMLIFrameElement;
  const posted: Array<Record<string, unknown>> = [];
  const spy = vi.spyOn(frame.contentWindow!, 'postMessage').mockImplementation((m: unknown, origin?: unknown) => {
    posted.push({ ...(m as object), __origin: origin });
  });
  const fromFrame = (data: unknown, origin = BASE, source: unknown = frame.contentWindow) =>
    window.dispatchEvent(new MessageEvent('message', { data, origin, source: source as Window }));
  return { frame, posted, spy, fromFrame, w };
}

beforeEach(() => {
  localStorage.clear();
  history.replaceState({}, '', '/shop');
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('loader', () => {
  it('takes the base URL from its src', () => {
    expect(baseOf('https://x.example/widget/loader.js')).toBe('https://x.example');
    expect(baseOf('https://x.example/parley/widget/loader.js?v=2')).toBe('https://x.example/parley');
  });

  it('adds one closed, launcher-sized iframe with the widget key', () => {
    const { frame } = install();
    expect(document.querySelectorAll('iframe').length).toBe(1);
    expect(frame.src).toBe(`${BASE}/widget/frame.html?key=${KEY}`);
    expect(frame.title).toBe('Chat');
    expect(frame.getAttribute('allow')).toBe('autoplay');
    expect(frame.style.position).toBe('fixed');
    expect(frame.style.width).toBe('88px');
    expect(frame.style.height).toBe('88px');
    expect(frame.style.right).toBe('0px');
  });

  it('replaces window.parley and sends the queued calls with init, handling on() itself', () => {
    const onOpen = vi.fn();
    const { posted, fromFrame, w } = install([['name', 'Ada'], ['on', 'open', onOpen], ['chat:open'], ['variables', { plan: 'gold' }]]);
    expect(w.parley!.q).toBeUndefined();
    expect(posted).toEqual([]); // nothing before the frame is ready
    w.parley!('email', 'ada@example.com'); // still before ready: buffered
    localStorage.setItem('parley:' + KEY, 'tok-9');

    fromFrame({ parley: 1, type: 'ready' });
    expect(posted).toHaveLength(1);
    const init = posted[0]!;
    expect(init).toMatchObject({
      parley: 1,
      type: 'init',
      token: 'tok-9',
      __origin: BASE,
      commands: [
        { name: 'name', args: ['Ada'] },
        { name: 'chat:open', args: [] },
        { name: 'variables', args: [{ plan: 'gold' }] },
        { name: 'email', args: ['ada@example.com'] },
      ],
    });
    expect((init.page as { url: string }).url).toBe(location.href);
    expect(init.page).toHaveProperty('referrer');

    // After init, calls are forwarded at once.
    w.parley!('theme:color', '#ff0000');
    expect(posted[1]).toMatchObject({ type: 'command', name: 'theme:color', args: ['#ff0000'] });

    // Events from the frame reach the callbacks.
    fromFrame({ parley: 1, type: 'event', name: 'open', data: null });
    expect(onOpen).toHaveBeenCalledTimes(1);
  });

  it('ignores messages from other origins or windows, and non-protocol messages', () => {
    const cb = vi.fn();
    const { fromFrame, posted, w } = install([['on', 'message_received', cb]]);
    fromFrame({ parley: 1, type: 'ready' }, 'https://evil.example');
    fromFrame({ parley: 1, type: 'ready' }, BASE, window);
    fromFrame({ type: 'ready' });
    fromFrame('ready');
    expect(posted).toEqual([]);
    fromFrame({ parley: 1, type: 'event', name: 'message_received', data: 1 }, 'https://evil.example');
    fromFrame({ parley: 1, type: 'token', token: 'stolen' }, 'https://evil.example');
    expect(cb).not.toHaveBeenCalled();
    expect(localStorage.getItem('parley:' + KEY)).toBeNull();
    expect(() => w.parley!()).not.toThrow();
  });

  it('a throwing callback never breaks the host page or the other callbacks', () => {
    const good = vi.fn();
    const { fromFrame } = install([
      ['on', 'message_sent', () => {
        throw new Error('shop bug');
      }],
      ['on', 'message_sent', good],
    ]);
    expect(() => fromFrame({ parley: 1, type: 'event', name: 'message_sent', data: { text: 'hi' } })).not.toThrow();
    expect(good).toHaveBeenCalledWith({ text: 'hi' });
  });

  it('stores the token the frame hands over', () => {
    const { fromFrame } = install();
    fromFrame({ parley: 1, type: 'token', token: 'abc' });
    expect(localStorage.getItem('parley:' + KEY)).toBe('abc');
  });

  it('resizes on request: open, left, full screen when narrow, hidden', () => {
    const { frame, fromFrame } = install();
    fromFrame({ parley: 1, type: 'resize', state: 'open', position: 'left' });
    expect(frame.style.width).toBe('400px');
    expect(frame.style.height).toBe('680px');
    expect(frame.style.left).toBe('0px');
    expect(frame.style.getPropertyPriority('width')).toBe('important');

    fromFrame({ parley: 1, type: 'hidden', hidden: true });
    expect(frame.style.display).toBe('none');
    fromFrame({ parley: 1, type: 'hidden', hidden: false });
    expect(frame.style.display).toBe('block');

    fromFrame({ parley: 1, type: 'resize', state: 'closed', position: 'right' });
    expect(frame.style.width).toBe('88px');
    expect(frame.style.right).toBe('0px');
  });

  it('goes full screen on a narrow viewport while open', () => {
    const old = window.innerWidth;
    Object.defineProperty(window, 'innerWidth', { configurable: true, value: 375 });
    try {
      const { frame, fromFrame, posted } = install();
      fromFrame({ parley: 1, type: 'ready' });
      expect(posted[0]).toMatchObject({ type: 'init', narrow: true });
      fromFrame({ parley: 1, type: 'resize', state: 'open', position: 'right' });
      expect(frame.style.width).toBe('100%');
      expect(frame.style.height).toBe('100%');
      expect(frame.style.top).toBe('0px');
      // Rotating to a wide screen: back to the corner, and the frame is told.
      Object.defineProperty(window, 'innerWidth', { configurable: true, value: 1024 });
      window.dispatchEvent(new Event('resize'));
      expect(frame.style.width).toBe('400px');
      expect(posted.at(-1)).toMatchObject({ type: 'viewport', narrow: false });
    } finally {
      Object.defineProperty(window, 'innerWidth', { configurable: true, value: old });
    }
  });

  it('reports single-page-app navigations (pushState, replaceState, popstate, hashchange)', () => {
    vi.useFakeTimers();
    const { fromFrame, posted } = install();
    fromFrame({ parley: 1, type: 'ready' });
    const pages = () => posted.filter((m) => m.type === 'page').map((m) => (m.page as { url: string; title: string }));

    document.title = 'Checkout';
    history.pushState({}, '', '/checkout?step=2');
    vi.advanceTimersByTime(150);
    expect(pages()).toEqual([{ url: location.origin + '/checkout?step=2', title: 'Checkout' }]);

    history.replaceState({}, '', '/checkout?step=2'); // same URL: not a new page
    vi.advanceTimersByTime(150);
    expect(pages()).toHaveLength(1);

    history.replaceState({}, '', '/checkout?step=3');
    vi.advanceTimersByTime(150);
    expect(pages().at(-1)!.url).toBe(location.origin + '/checkout?step=3');

    history.pushState({}, '', '/a');
    window.dispatchEvent(new PopStateEvent('popstate'));
    vi.advanceTimersByTime(150);
    expect(pages().at(-1)!.url).toBe(location.origin + '/a');

    location.hash = 'reviews';
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    vi.advanceTimersByTime(150);
    expect(pages().at(-1)!.url).toBe(location.origin + '/a#reviews');
  });

  it('does nothing without its script tag or key, and never throws', () => {
    document.head.innerHTML = '';
    document.body.innerHTML = '';
    const w = window as HostWindow;
    w.parley = undefined;
    expect(() => start(w)).not.toThrow();
    expect(document.getElementById('parley-frame')).toBeNull();
  });

  it('does not add a second iframe when loaded twice', () => {
    install();
    start(window as HostWindow);
    expect(document.querySelectorAll('#parley-frame').length).toBe(1);
  });
});
