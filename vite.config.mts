import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = dirname(fileURLToPath(import.meta.url));

/** Renderer build: relative asset paths so the same bundle loads from file:// (Electron) and the bridge. */
// Tool configs are the one place a default export is required.
export default defineConfig({
  root: resolve(root, 'src-renderer'),
  base: './',
  build: {
    outDir: resolve(root, 'dist/renderer'),
    emptyOutDir: true,
    sourcemap: true,
    target: 'chrome120',
  },
});
