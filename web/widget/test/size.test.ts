// Bundle budgets on the BUILT files (npm test builds first). A missing
// build is a failure, never a silent pass.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const dist = join(__dirname, '..', 'dist');
const LOADER_MAX = 3 * 1024;
const APP_MAX = 35 * 1024;

function need(path: string): string {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`npm run build\` first (\`npm test\` does it)`);
  }
  return path;
}

const gz = (path: string) => gzipSync(readFileSync(path), { level: 9 }).length;

describe('bundle sizes (gzipped)', () => {
  it(`dist/loader.js ≤ ${LOADER_MAX} bytes`, () => {
    const size = gz(need(join(dist, 'loader.js')));
    console.log(`loader.js: ${size} bytes gzipped (budget ${LOADER_MAX})`);
    expect(size).toBeLessThanOrEqual(LOADER_MAX);
  });

  it(`all JS of the frame ≤ ${APP_MAX} bytes`, () => {
    const assets = need(join(dist, 'assets'));
    const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
    expect(js.length, 'the frame has its JS in dist/assets').toBeGreaterThan(0);
    const size = js.reduce((n, f) => n + gz(join(assets, f)), 0);
    console.log(`frame JS (${js.join(', ')}): ${size} bytes gzipped (budget ${APP_MAX})`);
    expect(size).toBeLessThanOrEqual(APP_MAX);
  });
});

describe('built frame.html', () => {
  it('loads only its own assets under /widget/, with no inline script (the frame CSP)', () => {
    const html = readFileSync(need(join(dist, 'frame.html')), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(body!.trim(), 'no inline script').toBe('');
      expect(attrs).toMatch(/src="\/widget\/assets\/[^"]+\.js"/);
    }
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      expect(url!.startsWith('/widget/assets/'), url).toBe(true);
      expect(existsSync(join(dist, url!.replace('/widget/', ''))), url).toBe(true);
    }
  });

  it('the loader is one self-contained script (IIFE, no imports)', () => {
    const src = readFileSync(need(join(dist, 'loader.js')), 'utf8');
    expect(src).not.toMatch(/\bimport\s*[({'"]/);
    expect(src).not.toMatch(/^export /m);
    expect(src).toContain('parley-frame');
  });
});
