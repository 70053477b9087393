// Builds the chat box into dist/: the loader (dist/loader.js) and the chat
// app (dist/frame.html, dist/assets/*). It removes only what it builds:
// dist/placeholder.txt belongs to the Go side and stays.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = new URL('../dist/', import.meta.url);

for (const p of ['assets', 'frame.html', 'loader.js']) {
  await rm(new URL(p, dist), { recursive: true, force: true });
}
await build({ root, configFile: root + 'vite.loader.config.ts', logLevel: 'warn' });
await build({ root, configFile: root + 'vite.frame.config.ts', logLevel: 'warn' });
console.log('built dist/loader.js, dist/frame.html and dist/assets/');
