import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev` (scripts/dev.sh) serves the client on 5173 and proxies the edge's API,
// so the browser sees one origin, as in production where the edge Worker serves the
// built files (wrangler.toml [assets]). Signaling goes straight to the media node URL
// that POST /meetings/{id}/join returns.
const edge = process.env.HUDDLE_EDGE_URL ?? `http://127.0.0.1:${process.env.EDGE_PORT ?? '8787'}`;
const host = process.env.WEB_HOST ?? '127.0.0.1';
const port = Number(process.env.WEB_PORT ?? 5173);
const proxy = { '/api': { target: edge, changeOrigin: false } };

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  server: { host, port, strictPort: true, proxy },
  preview: { host, port, strictPort: true, proxy },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1500 },
});
