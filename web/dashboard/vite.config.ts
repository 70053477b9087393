// The agent dashboard: dist/index.html + dist/assets/*, served by Parley at /.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The dev server proxies the API to a local `parley serve` (PARLEY_DEV_API).
const api = process.env.PARLEY_DEV_API ?? 'http://127.0.0.1:18097';

export default defineConfig({
  base: '/',
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: false, // dist/placeholder.txt belongs to the Go side; scripts/build.mjs cleans our files
    target: 'es2022',
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
  },
  server: {
    proxy: {
      '/api/v1': { target: api, ws: true, changeOrigin: false },
      '/widget': { target: api, changeOrigin: false },
    },
  },
});
