// The visitor token lives in the HOST page's storage so every page and tab
// of the shop shares one visitor: localStorage key `parley:<widget_key>`,
// or, where localStorage is unavailable (blocked, full, private mode), the
// first-party cookie `parley_<widget_key>` (1 year, SameSite=Lax).

const YEAR = 31536000;

function cookieName(key: string): string {
  return 'parley_' + key.replace(/[^\w-]/g, '_');
}

export function readToken(key: string, w: Window = window): string {
  try {
    const v = w.localStorage.getItem('parley:' + key);
    if (v) return v;
  } catch {
    // storage blocked: fall through to the cookie
  }
  try {
    const name = cookieName(key) + '=';
    for (const part of w.document.cookie.split(';')) {
      const c = part.trim();
      if (c.indexOf(name) === 0) return decodeURIComponent(c.slice(name.length));
    }
  } catch {
    // cookies blocked too: a new visitor
  }
  return '';
}

export function writeToken(key: string, token: string, w: Window = window): void {
  try {
    w.localStorage.setItem('parley:' + key, token);
    if (w.localStorage.getItem('parley:' + key) === token) return;
  } catch {
    // fall back to the cookie
  }
  try {
    w.document.cookie =
      cookieName(key) + '=' + encodeURIComponent(token) + ';max-age=' + YEAR + ';path=/;SameSite=Lax' +
      (w.location.protocol === 'https:' ? ';Secure' : '');
  } catch {
    // nowhere to keep it: the visitor is new on the next page
  }
}
