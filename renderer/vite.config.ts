// Builds the Svelte renderer once for both hosts: Electron loads it from app://chat/
// and the chat server serves it over HTTP, so every asset URL is relative.
// This file runs in Node at build time, never in the renderer (eslint.config.js
// exempts it from the renderer's "no Node built-ins" rule).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [svelte()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: { host: '127.0.0.1' },
});
