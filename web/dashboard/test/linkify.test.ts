import { describe, expect, it } from 'vitest';
import { linkify, safeHref } from '../src/lib/linkify';

describe('linkify', () => {
  it('links http, https and mailto only', () => {
    const parts = linkify('see https://example.com/a?b=1. or mail ann@example.com, not javascript:alert(1) or ftp://x.y');
    const links = parts.filter((p) => p.kind === 'link');
    expect(links.map((l) => l.kind === 'link' && l.href)).toEqual(['https://example.com/a?b=1', 'mailto:ann@example.com']);
    expect(parts.map((p) => p.text).join('')).toBe('see https://example.com/a?b=1. or mail ann@example.com, not javascript:alert(1) or ftp://x.y');
  });
  it('refuses dangerous schemes', () => {
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,<b>')).toBeNull();
    expect(safeHref('vbscript:x')).toBeNull();
    expect(safeHref('http://ok.example/')).toBe('http://ok.example/');
  });
  it('keeps HTML as text', () => {
    const parts = linkify('<img src=x onerror=alert(1)>');
    expect(parts).toEqual([{ kind: 'text', text: '<img src=x onerror=alert(1)>' }]);
  });
});
