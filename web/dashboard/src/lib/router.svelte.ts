// A tiny history-API router for the SPA's routes.
export type Route =
  | { name: 'login' }
  | { name: 'conversations'; id: string | null }
  | { name: 'team' }
  | { name: 'settings' }
  | { name: 'profile' };

export function parse(path: string): Route {
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/login') return { name: 'login' };
  if (p === '/team') return { name: 'team' };
  if (p === '/settings' || p === '/settings/widget') return { name: 'settings' };
  if (p === '/profile') return { name: 'profile' };
  const m = /^\/conversations\/([^/]+)$/.exec(p);
  if (m?.[1]) return { name: 'conversations', id: decodeURIComponent(m[1]) };
  return { name: 'conversations', id: null };
}

export const router = $state<{ route: Route; path: string }>({
  route: parse(location.pathname),
  path: location.pathname,
});

export function navigate(path: string, replace = false) {
  if (path === location.pathname) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  router.path = path;
  router.route = parse(path);
}

addEventListener('popstate', () => {
  router.path = location.pathname;
  router.route = parse(location.pathname);
});

/** onclick for <a href> links inside the app: navigate without a reload. */
export function link(e: MouseEvent) {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.currentTarget as HTMLAnchorElement;
  e.preventDefault();
  navigate(a.pathname);
}
