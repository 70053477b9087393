// The host-page loader: dist/loader.js, one small IIFE with no framework.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2018',
    copyPublicDir: false,
    lib: {
      entry: 'src/loader/main.ts',
      formats: ['iife'],
      name: 'parleyLoader',
      fileName: () => 'loader.js',
    },
    minify: 'esbuild',
  },
});
