import { describe, expect, it } from 'vitest';
import { accent, contrast, iconInk, isColor } from '../src/app/lib/color';

describe('colour', () => {
  it('accepts only #rrggbb', () => {
    expect(isColor('#16a34a')).toBe(true);
    expect(isColor('#ABCDEF')).toBe(true);
    for (const bad of ['16a34a', '#fff', '#12345g', 'red', 'rgb(0,0,0)', '#16a34a;background:url(x)', null, 3]) {
      expect(isColor(bad), String(bad)).toBe(false);
    }
  });

  it('keeps text on the accent readable (WCAG AA 4.5:1)', () => {
    for (const c of ['#16a34a', '#0a7d3b', '#2563eb', '#facc15', '#ffffff', '#000000', '#ef4444', '#a3e635']) {
      const { bg, ink } = accent(c);
      expect(contrast(bg, ink), c).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('uses a dark colour as given', () => {
    expect(accent('#0a7d3b')).toEqual({ bg: '#0a7d3b', ink: '#ffffff' });
  });

  it('icons on the exact brand colour stay visible', () => {
    expect(iconInk('#16a34a')).toBe('#ffffff');
    expect(iconInk('#facc15')).not.toBe('#ffffff');
  });
});

describe('focus ring', () => {
  it('stands out on white (3:1) for any brand colour', async () => {
    const { ringColor } = await import('../src/app/lib/color');
    for (const c of ['#16a34a', '#facc15', '#ffffff', '#a3e635', '#000000', 'bad']) {
      expect(contrast(ringColor(c), '#ffffff'), c).toBeGreaterThanOrEqual(3);
    }
  });
});
