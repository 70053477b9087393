// Keyboard shortcuts of the inbox: j/k move, Enter opens, r reply, n note,
// e resolve, ? help. Ignored while typing in a field.
import { app, currentList, resolve } from './store.svelte';
import { navigate, router } from './router.svelte';
import { canResolve } from './permissions';

export function isTypingTarget(el: EventTarget | null): boolean {
  const h = el as HTMLElement | null;
  if (!h || !h.tagName) return false;
  return h.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(h.tagName);
}

export function onKeydown(e: KeyboardEvent) {
  if (e.metaKey || e.ctrlKey || e.altKey) return;
  if (e.key === 'Escape' && app.shortcutsOpen) {
    app.shortcutsOpen = false;
    return;
  }
  if (isTypingTarget(e.target)) return;
  if (e.key === '?') {
    app.shortcutsOpen = !app.shortcutsOpen;
    e.preventDefault();
    return;
  }
  if (router.route.name !== 'conversations' || app.shortcutsOpen) return;
  const rows = currentList();
  const openId = router.route.id;
  switch (e.key) {
    case 'j':
    case 'k': {
      let i = app.selectedIndex;
      if (i < 0) i = rows.findIndex((r) => r.id === openId);
      i = e.key === 'j' ? Math.min(rows.length - 1, i + 1) : Math.max(0, i - 1);
      app.selectedIndex = i;
      e.preventDefault();
      break;
    }
    case 'Enter': {
      const c = rows[app.selectedIndex];
      if (c) navigate(`/conversations/${c.id}`);
      break;
    }
    case 'r':
    case 'n':
      if (openId) {
        e.preventDefault();
        dispatchEvent(new CustomEvent('parley:compose', { detail: e.key === 'r' ? 'text' : 'note' }));
      }
      break;
    case 'e': {
      const c = openId ? rows.find((r) => r.id === openId) : rows[app.selectedIndex];
      if (c && c.status === 'open' && canResolve(app.me, c)) void resolve(c.id);
      break;
    }
  }
}
