// The chat app shown in the iframe: dist/frame.html + dist/assets/*.
// Served by Parley at /widget/frame.html, hence base '/widget/'.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The dev server proxies the API to a local `parley serve` (PARLEY_DEV_API).
const api = process.env.PARLEY_DEV_API ?? 'http://127.0.0.1:18090';

export default defineConfig({
  base: '/widget/',
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: false, // dist/placeholder.txt belongs to the Go side; scripts/build.mjs cleans our files
    target: 'es2022',
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    rollupOptions: { input: 'frame.html' },
  },
  server: {
    proxy: {
      '/widget/v1': { target: api, ws: true, changeOrigin: true },
    },
  },
});
