// The chat's components in a DOM: text is text, links are safe, the
// contract's test ids are there.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushSync, mount, unmount, type Component } from 'svelte';
import MessageText from '../src/app/components/MessageText.svelte';
import App from '../src/app/App.svelte';
import { Chat } from '../src/app/lib/chat.svelte';
import { setLanguage } from '../src/app/i18n/index.svelte';
import { FakeSocket, fakeApi } from './fakes';
import { msg } from './helpers';

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
  document.body.innerHTML = '';
  localStorage.clear();
  setLanguage('en');
});

function render<P extends Record<string, unknown>>(C: Component<P>, props: P) {
  const target = document.createElement('div');
  document.body.appendChild(target);
  const c = mount(C, { target, props });
  flushSync();
  cleanup.push(() => unmount(c));
  return target;
}

describe('MessageText', () => {
  it('shows HTML and script as text, creating no elements and running nothing', () => {
    const w = window as unknown as { __pwned?: number };
    const text = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>';
    const el = render(MessageText, { text });
    expect(el.textContent).toBe(text);
    expect(el.querySelectorAll('img, script, b').length).toBe(0);
    expect(w.__pwned).toBeUndefined();
  });

  it('builds safe links only', () => {
    const el = render(MessageText, { text: 'Track https://example.com/t?id=1 or javascript:alert(1) or mail a@b.example' });
    const as = [...el.querySelectorAll('a')];
    expect(as.map((a) => a.getAttribute('href'))).toEqual(['https://example.com/t?id=1', 'mailto:a@b.example']);
    for (const a of as) {
      expect(a.target).toBe('_blank');
      expect(a.rel.split(' ').sort()).toEqual(['nofollow', 'noopener', 'noreferrer']);
    }
    expect(el.textContent).toContain('javascript:alert(1)');
  });
});

describe('App', () => {
  async function app(over: { online?: boolean; history?: ReturnType<typeof msg>[] } = {}) {
    vi.useFakeTimers();
    FakeSocket.all = [];
    const api = fakeApi(over.history ?? []);
    if (over.online === false) {
      const s = await api.session('', 'tok');
      api.session.mockResolvedValue({ ...s, online: false });
    }
    const chat = new Chat('k', { post: () => {} }, { api, WebSocket: FakeSocket as unknown as typeof WebSocket, sound: () => {} });
    const el = render(App, { chat });
    await chat.boot('', undefined, '');
    FakeSocket.last().open();
    flushSync();
    cleanup.push(() => {
      chat.stop();
      vi.useRealTimers();
    });
    return { el, chat, q: (id: string) => el.querySelector(`[data-testid="${id}"]`) as HTMLElement | null };
  }

  it('closed: a launcher labelled "Open chat" with an unread badge', async () => {
    const { q, chat } = await app();
    expect(q('launcher')!.getAttribute('aria-label')).toBe('Open chat');
    expect(q('panel')).toBeNull();
    expect(q('unread')).toBeNull();
    FakeSocket.last().frame({ type: 'message.created', seq: 5, data: msg({ id: 'x', seq: 5 }) });
    flushSync();
    expect(q('unread')!.textContent).toBe('1');
    chat.open();
    flushSync();
    expect(q('unread')).toBeNull();
    expect(q('launcher')!.getAttribute('aria-label')).toBe('Close chat');
  });

  it('open: the panel with its test ids, messages by sender, the composer sends on Enter', async () => {
    const { q, el, chat } = await app({
      history: [
        msg({ id: 'a', seq: 1, text: 'Hi, I am Anna' }),
        msg({ id: 'e', seq: 2, kind: 'event', sender_type: 'agent', text: 'resolved', event: { action: 'resolved' } }),
      ],
    });
    q('launcher')!.click();
    flushSync();
    const panel = q('panel')!;
    expect(panel.getAttribute('role')).toBe('dialog');
    expect(panel.getAttribute('aria-label')).toBe('Chat with Corner Shop');
    expect(q('team-name')!.textContent).toBe('Corner Shop');
    expect(q('status')!.textContent).toBe('Online');
    expect(q('mute')!.getAttribute('aria-pressed')).toBe('false');
    expect(q('greeting')!.textContent!.trim()).toBe('Hi!');
    const log = q('messages')!;
    expect(log.getAttribute('role')).toBe('log');
    expect(log.getAttribute('aria-live')).toBe('polite');
    const msgs = [...el.querySelectorAll('[data-testid="message"]')];
    expect(msgs.map((m) => m.getAttribute('data-sender'))).toEqual(['agent', 'system']);
    expect(msgs[0]!.querySelector('[data-testid="message-author"]')!.textContent).toBe('Anna');
    expect(msgs[1]!.textContent).toContain('The conversation was closed');

    const composer = q('composer') as HTMLTextAreaElement;
    composer.value = 'Hello <b>there</b>';
    composer.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    composer.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', shiftKey: true, bubbles: true }));
    flushSync();
    expect(FakeSocket.last().sends()).toHaveLength(0); // Shift+Enter: a new line, not a send
    composer.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    flushSync();
    expect(FakeSocket.last().sends()).toMatchObject([{ text: 'Hello <b>there</b>' }]);
    const mine = el.querySelector('[data-sender="visitor"]')!;
    expect(mine.getAttribute('data-state')).toBe('sending');
    expect(mine.getAttribute('data-client-id')).toBe(chat.items.at(-1)!.clientId);
    expect(mine.querySelector('b')).toBeNull();
    expect(composer.value).toBe('');

    // Escape closes.
    panel.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    flushSync();
    expect(q('panel')).toBeNull();
  });

  it('offline: the offline form with required email and message', async () => {
    const { q, chat } = await app({ online: false });
    chat.open();
    flushSync();
    const form = q('offline-form')!;
    expect(q('status')!.textContent).toBe('Offline');
    expect(form.querySelector('[name="email"]')!.hasAttribute('required')).toBe(true);
    expect(form.querySelector('[name="message"]')!.hasAttribute('required')).toBe(true);
    expect(form.querySelector('[name="name"]')!.hasAttribute('required')).toBe(false);
    expect(q('offline-submit')).not.toBeNull();
    expect(q('composer')).toBeNull();
    // An agent comes online: the chat replaces the form.
    FakeSocket.last().frame({ type: 'presence', data: { online: true } });
    flushSync();
    expect(q('offline-form')).toBeNull();
    expect(q('composer')).not.toBeNull();
  });

  it('Hungarian words', async () => {
    setLanguage('hu');
    const { q, chat } = await app();
    expect(q('launcher')!.getAttribute('aria-label')).toBe('Csevegés megnyitása');
    chat.open();
    flushSync();
    expect(q('status')!.textContent).toBe('Elérhető');
  });
});
