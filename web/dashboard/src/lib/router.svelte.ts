// A tiny history-API router for the SPA's routes.
export type Route =
  | { name: 'login' }
  | { name: 'conversations'; id: string | null }
  | { name: 'visitors'; contact: string | null }
  | { name: 'team' }
  | { name: 'settings' }
  | { name: 'apiSettings' }
  | { name: 'securitySettings' }
  | { name: 'profile' };

/** The route of a path, which may carry a query (`/visitors?contact=ID`). */
export function parse(path: string): Route {
  const [pathname = '', search = ''] = path.split('?', 2);
  const p = pathname.replace(/\/+$/, '') || '/';
  if (p === '/login') return { name: 'login' };
  // The card of a visitor without a conversation is a query, not a path, so
  // that the server's one `/visitors` SPA route serves a reload too.
  if (p === '/visitors') return { name: 'visitors', contact: new URLSearchParams(search).get('contact') || null };
  if (p === '/team') return { name: 'team' };
  if (p === '/settings' || p === '/settings/widget') return { name: 'settings' };
  if (p === '/settings/api') return { name: 'apiSettings' };
  if (p === '/settings/security') return { name: 'securitySettings' };
  if (p === '/profile') return { name: 'profile' };
  const m = /^\/conversations\/([^/]+)$/.exec(p);
  if (m?.[1]) return { name: 'conversations', id: decodeURIComponent(m[1]) };
  return { name: 'conversations', id: null };
}

const here = () => location.pathname + location.search;

export const router = $state<{ route: Route; path: string }>({
  route: parse(here()),
  path: here(),
});

export function navigate(path: string, replace = false) {
  if (path === here()) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  router.path = path;
  router.route = parse(path);
}

addEventListener('popstate', () => {
  router.path = here();
  router.route = parse(here());
});

/** onclick for <a href> links inside the app: navigate without a reload. */
export function link(e: MouseEvent) {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.currentTarget as HTMLAnchorElement;
  e.preventDefault();
  navigate(a.pathname + a.search);
}
