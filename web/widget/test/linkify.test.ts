import { describe, expect, it } from 'vitest';
import { linkify } from '../src/app/lib/linkify';

const links = (text: string) => linkify(text).filter((s) => s.type === 'link');
const joined = (text: string) => linkify(text).map((s) => s.text).join('');

describe('linkify', () => {
  it('keeps plain text as one text segment', () => {
    expect(linkify('Hello there')).toEqual([{ type: 'text', text: 'Hello there' }]);
    expect(linkify('')).toEqual([]);
  });

  it('makes http, https, www and email links', () => {
    expect(links('see https://example.com/track?id=1 now')).toEqual([
      { type: 'link', text: 'https://example.com/track?id=1', href: 'https://example.com/track?id=1' },
    ]);
    expect(links('http://shop.test/a')[0]).toMatchObject({ href: 'http://shop.test/a' });
    expect(links('go to www.example.com')[0]).toMatchObject({ text: 'www.example.com', href: 'https://www.example.com' });
    expect(links('write to help@shop.example')[0]).toMatchObject({ text: 'help@shop.example', href: 'mailto:help@shop.example' });
    expect(links('mailto:help@shop.example')[0]).toMatchObject({ href: 'mailto:help@shop.example' });
  });

  it('never links javascript:, data: or other schemes; they stay text', () => {
    for (const bad of [
      'javascript:alert(document.domain)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'ftp://example.com/x',
    ]) {
      expect(links(bad), bad).toEqual([]);
      expect(joined(bad)).toBe(bad);
    }
  });

  it('keeps HTML as text, and stops links at markup characters', () => {
    const html = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    expect(linkify(html)).toEqual([{ type: 'text', text: html }]);
    const tricky = 'https://example.com/"><script>alert(1)</script>';
    const l = links(tricky);
    expect(l).toHaveLength(1);
    expect(l[0]!.href).toBe('https://example.com/');
    expect(joined(tricky)).toBe(tricky);
  });

  it('leaves trailing punctuation and unbalanced brackets out of the link', () => {
    expect(links('Look: https://example.com/a.')[0]!.text).toBe('https://example.com/a');
    expect(links('(see https://example.com/a)')[0]!.text).toBe('https://example.com/a');
    expect(links('https://en.wikipedia.org/wiki/Foo_(bar)')[0]!.text).toBe('https://en.wikipedia.org/wiki/Foo_(bar)');
    expect(links('really? https://example.com/?q=1!')[0]!.text).toBe('https://example.com/?q=1');
  });

  it('round-trips: the segments put together are the original text', () => {
    const samples = [
      'Track it here https://example.com/track?id=1 but never javascript:alert(document.domain) x',
      'mail me: a.b+c@example.co.uk, or www.example.org.',
      'line one\nhttps://x.example/y\n\n  spaced  ',
      '**** **** **** 1111 and http://a.example',
    ];
    for (const s of samples) expect(joined(s)).toBe(s);
  });

  it('only ever returns http:, https: or mailto: hrefs', () => {
    const text = 'a https://a.example b http://b.example c www.c.example d x@d.example e mailto:y@e.example javascript:z()';
    for (const l of links(text)) expect(l.type === 'link' && /^(https?:|mailto:)/.test(l.href)).toBe(true);
  });
});
