// The chat app in the iframe: talks to the loader (Host), runs the chat
// (Chat) and draws it (App).
import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { Chat } from './lib/chat.svelte';
import { Host } from './lib/host';
import { runCommand, type CommandTarget } from './lib/commands';
import { setLanguage } from './i18n/index.svelte';
import { armSound } from './lib/sound';
import { NARROW_PX, type HostToFrame, type Page } from '../shared/protocol';

const key = new URLSearchParams(location.search).get('key') ?? '';
let booted = false;
let chat: Chat;

const target = (): CommandTarget => ({
  identify: (who) => chat.identify(who),
  open: () => chat.open(),
  close: () => chat.close(),
  setHidden: (h) => chat.setHidden(h),
  prefill: (text) => chat.prefill(text),
  setColor: (c) => chat.setColor(c),
  setLanguage,
});

function boot(token: string, page: Page | undefined, origin: string) {
  if (booted) return;
  booted = true;
  void chat.boot(token, page, origin);
}

const host = new Host((m: HostToFrame) => {
  try {
    switch (m.type) {
      case 'init':
        chat.narrow = !!m.narrow;
        for (const c of Array.isArray(m.commands) ? m.commands : []) {
          if (c && typeof c.name === 'string') runCommand(target(), c.name, Array.isArray(c.args) ? c.args : []);
        }
        boot(typeof m.token === 'string' ? m.token : '', m.page, host.origin ?? '');
        break;
      case 'page':
        chat.page(m.page);
        break;
      case 'command':
        runCommand(target(), m.name, Array.isArray(m.args) ? m.args : []);
        break;
      case 'viewport':
        chat.narrow = !!m.narrow;
        break;
    }
  } catch (e) {
    console.warn('parley:', e);
  }
});

chat = new Chat(key, host);
armSound();

if (host.embedded) {
  host.post({ type: 'ready' });
  // A page without the loader (or a loader that never answers): start anyway.
  setTimeout(() => boot('', undefined, ''), 5000);
} else {
  // Opened on its own (development): the frame is the whole page.
  const fit = () => (chat.narrow = innerWidth < NARROW_PX);
  fit();
  addEventListener('resize', fit);
  boot('', { url: location.href, title: document.title }, '');
}

mount(App, { target: document.getElementById('app')!, props: { chat } });
