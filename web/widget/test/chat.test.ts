import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Chat } from '../src/app/lib/chat.svelte';
import type { ToHost } from '../src/app/lib/host';
import { FakeSocket, fakeApi } from './fakes';
import { msg } from './helpers';

const KEY = 'wk';

function setup(history = [msg({ id: 'h1', seq: 10 }), msg({ id: 'h2', seq: 12, sender_type: 'visitor', client_id: 'old' })]) {
  const api = fakeApi(history);
  const posted: ToHost[] = [];
  const sound = vi.fn();
  const chat = new Chat(KEY, { post: (m) => posted.push(m) }, { api, WebSocket: FakeSocket as unknown as typeof WebSocket, random: () => 0, sound });
  return { api, chat, posted, sound };
}

async function boot(chat: Chat, token = '') {
  await chat.boot(token, { url: 'https://shop.example/', title: 'Shop', referrer: '' }, 'https://shop.example');
}

const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
  localStorage.clear();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('Chat: session, history, socket', () => {
  it('restores history, then resumes the socket after the highest seq', async () => {
    const { chat, api, posted } = setup();
    await boot(chat, 'host-token');
    expect(api.session).toHaveBeenCalledWith(KEY, 'host-token', expect.objectContaining({ url: 'https://shop.example/' }));
    expect(chat.items.map((i) => i.id)).toEqual(['h1', 'h2']);
    expect(chat.team).toBe('Corner Shop');
    expect(chat.settings.greeting).toBe('Hi!');
    expect(posted).toContainEqual({ type: 'token', token: 'host-token' });
    expect(FakeSocket.all).toHaveLength(1);
    expect(FakeSocket.last().afterSeq()).toBe('12');
    chat.stop();
  });

  it('sends over the socket: sending → sent (ack) → delivered (echo), shown once, message_sent once', async () => {
    const { chat, posted } = setup([]);
    await boot(chat);
    const ws = FakeSocket.last();
    ws.open();
    expect(chat.send('  Hello  ')).toBe(true);
    const [frame] = ws.sends();
    expect(frame).toMatchObject({ type: 'message.send', text: 'Hello' });
    const cid = frame!.client_id as string;
    expect(cid).toMatch(/^[0-9a-f-]{36}$/);
    expect(chat.items).toMatchObject([{ state: 'sending', clientId: cid }]);

    const stored = msg({ id: 'm1', seq: 20, sender_type: 'visitor', client_id: cid, text: 'Hello' });
    ws.frame({ type: 'ack', client_id: cid, data: stored });
    expect(chat.items).toMatchObject([{ id: 'm1', state: 'sent' }]);
    ws.frame({ type: 'message.created', seq: 20, data: stored });
    expect(chat.items).toMatchObject([{ id: 'm1', state: 'delivered' }]);
    expect(chat.items).toHaveLength(1);
    expect(posted.filter((m) => m.type === 'event' && m.name === 'message_sent')).toHaveLength(1);
    expect(chat.send('   ')).toBe(false);
    chat.stop();
  });

  it('after a drop: "Reconnecting…", fast first retry with after_seq, resend with the SAME client_id, no duplicate', async () => {
    const { chat } = setup();
    await boot(chat);
    let ws = FakeSocket.last();
    ws.open();
    ws.frame({ type: 'message.created', seq: 15, data: msg({ id: 'a1', seq: 15 }) });
    chat.send('are you there?');
    const cid = ws.sends()[0]!.client_id;
    ws.drop(); // before the ack
    expect(chat.trouble).toBe(true);
    expect(chat.items.at(-1)).toMatchObject({ state: 'sending', clientId: cid });

    await vi.advanceTimersByTimeAsync(400); // first retry within 400 ms
    expect(FakeSocket.all).toHaveLength(2);
    ws = FakeSocket.last();
    expect(ws.afterSeq()).toBe('15');
    ws.open();
    expect(chat.trouble).toBe(false);
    expect(ws.sends()).toEqual([{ type: 'message.send', client_id: cid, text: 'are you there?' }]);

    // The server had stored it before the drop: it answers with the same message; ack and echo.
    const stored = msg({ id: 'v9', seq: 16, sender_type: 'visitor', client_id: cid as string, text: 'are you there?' });
    ws.frame({ type: 'message.created', seq: 16, data: stored });
    ws.frame({ type: 'ack', client_id: cid, data: stored });
    expect(chat.items.filter((i) => i.text === 'are you there?')).toHaveLength(1);
    chat.stop();
  });

  it('backs off further while the server stays away, capped at 10 s', async () => {
    const { chat } = setup([]);
    await boot(chat);
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const n = FakeSocket.all.length;
      FakeSocket.last().close(); // never opens
      let waited = 0;
      while (FakeSocket.all.length === n) {
        await vi.advanceTimersByTimeAsync(50);
        waited += 50;
      }
      waits.push(waited);
    }
    expect(waits[0]).toBeLessThanOrEqual(400);
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]!);
    expect(Math.max(...waits)).toBeLessThanOrEqual(10_000);
    chat.stop();
  });

  it('pending messages survive a reload (localStorage) and are resent with their client_id', async () => {
    const first = setup([]);
    await boot(first.chat);
    first.chat.send('typed while offline'); // the socket never opened
    const stored = JSON.parse(localStorage.getItem(`parley:pending:${KEY}`)!);
    expect(stored).toHaveLength(1);
    const cid = stored[0].client_id;
    first.chat.stop();

    const second = setup([]);
    expect(second.chat.items).toMatchObject([{ state: 'sending', clientId: cid, text: 'typed while offline' }]);
    await boot(second.chat);
    const ws = FakeSocket.last();
    ws.open();
    expect(ws.sends()).toEqual([{ type: 'message.send', client_id: cid, text: 'typed while offline' }]);
    ws.frame({ type: 'ack', client_id: cid, data: msg({ id: 'z', sender_type: 'visitor', client_id: cid, text: 'typed while offline' }) });
    expect(localStorage.getItem(`parley:pending:${KEY}`)).toBeNull();
    second.chat.stop();
  });

  it('on reset: reconnects without after_seq and reloads the history over HTTP', async () => {
    const { chat, api } = setup();
    await boot(chat);
    let ws = FakeSocket.last();
    ws.open();
    expect(api.messages).toHaveBeenCalledTimes(1);
    api.history.push(msg({ id: 'missed', seq: 40 }));
    ws.frame({ type: 'reset' });
    ws.close();
    await vi.advanceTimersByTimeAsync(400);
    ws = FakeSocket.last();
    expect(ws.afterSeq()).toBeNull();
    ws.open();
    await flush();
    expect(api.messages).toHaveBeenCalledTimes(2);
    expect(chat.items.map((i) => i.id)).toEqual(['h1', 'h2', 'missed']);
    chat.stop();
  });

  it('falls back to HTTP when the socket cannot connect for a while: same client_id, then sent', async () => {
    const { chat, api } = setup([]);
    await boot(chat);
    FakeSocket.last().close();
    chat.send('over http please');
    const cid = chat.items[0]!.clientId!;
    // keep the socket failing
    const fail = setInterval(() => {
      const s = FakeSocket.last();
      if (s.readyState === 0) s.close();
    }, 10);
    await vi.advanceTimersByTimeAsync(8_500);
    clearInterval(fail);
    expect(api.send).toHaveBeenCalledWith('tok', 'over http please', cid);
    expect(chat.items).toMatchObject([{ id: 'http-' + cid, state: 'sent' }]);
    chat.stop();
  });

  it('a refused message is marked failed and can be retried; rate limits are retried by themselves', async () => {
    const { chat } = setup([]);
    await boot(chat);
    const ws = FakeSocket.last();
    ws.open();
    chat.send('one');
    chat.send('two');
    const [a, b] = ws.sends().map((f) => f.client_id as string);
    ws.frame({ type: 'error', client_id: a, error: { code: 'invalid', message: 'bad text' } });
    ws.frame({ type: 'error', client_id: b, error: { code: 'rate_limited', message: 'slow down' } });
    expect(chat.items.map((i) => i.state)).toEqual(['failed', 'sending']);
    await vi.advanceTimersByTimeAsync(5_100);
    expect(ws.sends().filter((f) => f.client_id === b)).toHaveLength(2);
    expect(ws.sends().filter((f) => f.client_id === a)).toHaveLength(1);
    chat.retry(a!);
    expect(ws.sends().filter((f) => f.client_id === a)).toHaveLength(2);
    chat.stop();
  });

  it('agent messages: shown once, counted unread while closed, chime, message_received', async () => {
    const { chat, posted, sound } = setup([]);
    await boot(chat);
    const ws = FakeSocket.last();
    ws.open();
    const m = msg({ id: 'r1', seq: 30, text: 'Hello from Anna' });
    ws.frame({ type: 'message.created', seq: 30, data: m });
    ws.frame({ type: 'message.created', seq: 30, data: m });
    expect(chat.items).toHaveLength(1);
    expect(chat.unread).toBe(1);
    expect(sound).toHaveBeenCalledTimes(1);
    expect(posted.filter((p) => p.type === 'event' && p.name === 'message_received')).toEqual([
      { type: 'event', name: 'message_received', data: expect.objectContaining({ id: 'r1', text: 'Hello from Anna', sender_name: 'Anna' }) },
    ]);
    chat.open();
    expect(chat.unread).toBe(0);
    expect(posted).toContainEqual({ type: 'resize', state: 'open', position: 'right' });
    chat.toggleMute();
    ws.frame({ type: 'message.created', seq: 31, data: msg({ id: 'r2', seq: 31 }) });
    expect(sound).toHaveBeenCalledTimes(1);
    expect(chat.unread).toBe(0); // open: read at once
    chat.stop();
  });

  it('presence and typing frames', async () => {
    const { chat } = setup([]);
    await boot(chat);
    const ws = FakeSocket.last();
    ws.open();
    ws.frame({ type: 'presence', data: { online: false } });
    expect(chat.online).toBe(false);
    ws.frame({ type: 'typing', data: { conversation_id: 'c1', sender_type: 'agent', name: 'Anna', on: true } });
    expect(chat.typingName).toBe('Anna');
    ws.frame({ type: 'typing', data: { conversation_id: 'c1', sender_type: 'agent', name: 'Anna', on: false } });
    expect(chat.typingName).toBeNull();
    ws.frame({ type: 'typing', data: { conversation_id: 'c1', sender_type: 'agent', name: 'Anna', on: true } });
    await vi.advanceTimersByTimeAsync(9_000); // a lost "off" does not leave it on forever
    expect(chat.typingName).toBeNull();
    chat.stop();
  });

  it('sends its own typing, throttled, and off after a pause', async () => {
    const { chat } = setup([]);
    await boot(chat);
    const ws = FakeSocket.last();
    ws.open();
    chat.draft = 'h';
    chat.typed();
    chat.draft = 'he';
    chat.typed();
    chat.typed();
    const typing = () => ws.sent.filter((f) => f.type === 'typing');
    expect(typing()).toEqual([{ type: 'typing', on: true }]);
    await vi.advanceTimersByTimeAsync(4_100);
    expect(typing()).toEqual([{ type: 'typing', on: true }, { type: 'typing', on: false }]);
    chat.stop();
  });

  it('page views go over the socket, queued while it is down', async () => {
    const { chat } = setup([]);
    await boot(chat);
    chat.page({ url: 'https://shop.example/cart', title: 'Cart' });
    const ws = FakeSocket.last();
    ws.open();
    expect(ws.sent).toContainEqual({ type: 'page.view', url: 'https://shop.example/cart', title: 'Cart', referrer: '' });
    chat.stop();
  });

  it('identify: calls are batched into one request that reaches the contact', async () => {
    const { chat, api } = setup([]);
    chat.identify({ name: 'Ada' });
    chat.identify({ email: 'ada@example.com' });
    chat.identify({ variables: { plan: 'gold' } });
    chat.identify({ variables: { cart: '3 items' } });
    await boot(chat);
    await vi.advanceTimersByTimeAsync(400);
    expect(api.identify).toHaveBeenCalledTimes(1);
    expect(api.identify).toHaveBeenCalledWith('tok', {
      name: 'Ada',
      email: 'ada@example.com',
      variables: { plan: 'gold', cart: '3 items' },
    });
    chat.stop();
  });

  it('identify is retried after a network error', async () => {
    const { chat, api } = setup([]);
    await boot(chat);
    api.identify.mockRejectedValueOnce(Object.assign(new (await import('../src/app/lib/api')).ApiError(0, 'network', 'x')));
    chat.identify({ phone: '+36 30 123 4567' });
    await vi.advanceTimersByTimeAsync(400);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(api.identify).toHaveBeenCalledTimes(2);
    expect(api.identify).toHaveBeenLastCalledWith('tok', { phone: '+36 30 123 4567' });
    chat.stop();
  });

  it('an unknown widget key hides the chat box instead of showing a broken one', async () => {
    const { chat, api, posted } = setup([]);
    const { ApiError } = await import('../src/app/lib/api');
    api.session.mockRejectedValueOnce(new ApiError(404, 'not_found', 'widget not found'));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await boot(chat);
    expect(chat.hidden).toBe(true);
    expect(posted).toContainEqual({ type: 'hidden', hidden: true });
    warn.mockRestore();
  });
});
