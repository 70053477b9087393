import { describe, expect, it } from 'vitest';
import { mount, unmount, flushSync } from 'svelte';
import MessageText from '../src/components/MessageText.svelte';

describe('MessageText', () => {
  it('renders HTML from a visitor as text, and only safe links', () => {
    const target = document.createElement('div');
    const c = mount(MessageText, { target, props: { text: '<b>hi</b><script>x()</script> javascript:alert(1) https://ok.example/p' } });
    flushSync();
    expect(target.querySelector('b')).toBeNull();
    expect(target.querySelector('script')).toBeNull();
    expect(target.textContent).toBe('<b>hi</b><script>x()</script> javascript:alert(1) https://ok.example/p');
    const links = target.querySelectorAll('a');
    expect(links).toHaveLength(1);
    expect(links[0]!.getAttribute('href')).toBe('https://ok.example/p');
    expect(links[0]!.getAttribute('rel')).toContain('noopener');
    unmount(c);
  });
});
