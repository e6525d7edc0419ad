// Vite build of the developer portal: `npm run build:portal` writes portal/dist, which the admin port serves at `/`.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The world map's TopoJSON is a lazily loaded chunk of its own; do not warn about it.
    chunkSizeWarningLimit: 400,
  },
});
