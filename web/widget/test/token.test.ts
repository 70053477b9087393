import { afterEach, describe, expect, it, vi } from 'vitest';
import { readToken, writeToken } from '../src/loader/token';

function clearCookies() {
  for (const c of document.cookie.split(';')) {
    const name = c.split('=')[0]!.trim();
    if (name) document.cookie = `${name}=; max-age=0; path=/`;
  }
}

afterEach(() => {
  vi.restoreAllMocks();
  localStorage.clear();
  clearCookies();
});

describe('visitor token in the host page', () => {
  it('is kept in localStorage under parley:<widget_key>', () => {
    expect(readToken('k1')).toBe('');
    writeToken('k1', 'tok-1');
    expect(localStorage.getItem('parley:k1')).toBe('tok-1');
    expect(readToken('k1')).toBe('tok-1');
    expect(document.cookie).not.toContain('parley_k1');
  });

  it('falls back to the cookie parley_<widget_key> when localStorage throws', () => {
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError');
    });
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError');
    });
    writeToken('k2', 'tok 2/é');
    expect(document.cookie).toContain('parley_k2=');
    expect(readToken('k2')).toBe('tok 2/é');
  });

  it('reads the cookie when localStorage has nothing (storage cleared, cookie kept)', () => {
    document.cookie = 'parley_k3=from-cookie; path=/';
    expect(readToken('k3')).toBe('from-cookie');
  });

  it('prefers localStorage over an older cookie', () => {
    document.cookie = 'parley_k4=old; path=/';
    localStorage.setItem('parley:k4', 'new');
    expect(readToken('k4')).toBe('new');
  });

  it('keeps cookie names safe for odd keys', () => {
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new Error('quota');
    });
    writeToken('a b;c', 'v');
    expect(document.cookie).toContain('parley_a_b_c=v');
    expect(readToken('a b;c')).toBe('v');
  });

  it('never throws when both are blocked', () => {
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new Error('blocked');
    });
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new Error('blocked');
    });
    vi.spyOn(document, 'cookie', 'get').mockImplementation(() => {
      throw new Error('blocked');
    });
    vi.spyOn(document, 'cookie', 'set').mockImplementation(() => {
      throw new Error('blocked');
    });
    expect(() => writeToken('k5', 'x')).not.toThrow();
    expect(readToken('k5')).toBe('');
  });
});
