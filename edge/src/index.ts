import { createApp } from './app.ts';

/** Cloudflare Workers entry point (wrangler.toml `main`). */
export default createApp();
