import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The reference web app's build: one bundle served by Cradle at `/app` (same origin as
 * `/graphql`), with every asset local (the server works offline) and hashed names under
 * `/app/assets/` so they can be cached for ever.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/app/',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist/app', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
  },
  oxc: { jsx: { runtime: 'automatic' } },
});
