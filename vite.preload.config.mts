import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = dirname(fileURLToPath(import.meta.url));

/** The sandboxed preload may only require('electron'), so it is bundled into one CommonJS file. */
// Tool configs are the one place a default export is required.
export default defineConfig({
  build: {
    outDir: resolve(root, 'dist/preload'),
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    lib: { entry: resolve(root, 'src-preload/preload.ts'), formats: ['cjs'], fileName: () => 'preload.js' },
    rollupOptions: { external: ['electron'] },
  },
});
