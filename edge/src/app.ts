import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter, errorResponses, jsonResponse } from './lib/openapi.ts';
import { edgeOpenApiDocument } from './lib/openapi-document.ts';
import { handleError } from './lib/error-handler.ts';
import { notFound } from './lib/api-error.ts';
import { requestLog } from './middleware/request-log.ts';
import { allowedMethods } from './middleware/allowed-methods.ts';
import { limitBody, requireJson } from './middleware/body-guard.ts';
import { resources } from './middleware/resources.ts';
import { clientIp } from './services/rate-limit.ts';
import { healthRouter } from './routes/health/health.index.ts';
import { authRouter } from './routes/auth/auth.index.ts';
import { usersRouter } from './routes/users/users.index.ts';
import { meetingsRouter } from './routes/meetings/meetings.index.ts';
import { joinRouter } from './routes/join/join.index.ts';
import { lobbyRouter } from './routes/lobby/lobby.index.ts';
import { aiRouter } from './routes/ai/ai.index.ts';
import { summaryRouter } from './routes/summary/summary.index.ts';

const openApiRoute = createRoute({
  method: 'get',
  path: '/api/v1/openapi.json',
  tags: ['meta'],
  summary: 'This OpenAPI 3.1 document',
  responses: {
    200: jsonResponse(z.record(z.string(), z.unknown()), 'The document'),
    ...errorResponses(503),
  },
});

/** How the runtime tells the app about the connection (Workers: nothing, Cloudflare sets headers). */
export interface AppOptions {
  /**
   * The client's address for this request as the runtime determined it (Node adapter:
   * the socket's peer, or what a trusted proxy forwarded). When set, the app never reads
   * a client address from request headers.
   */
  clientAddress?: () => string | undefined;
}

/**
 * Security headers on every response, errors included, through Hono's secureHeaders: the
 * set OWASP recommends for a JSON API — X-Content-Type-Options nosniff, a CSP that
 * allows nothing (the edge serves JSON only, nothing may be framed, loaded or run from
 * it), X-Frame-Options DENY, HSTS, Referrer-Policy no-referrer, CORP and COOP
 * same-origin. The legacy browser switches (X-XSS-Protection, X-Download-Options,
 * X-DNS-Prefetch-Control, X-Permitted-Cross-Domain-Policies, Origin-Agent-Cluster) are
 * left out: they do nothing for JSON, and each header is a write on every response
 * (measured on the cached GET in workerd: BENCHMARKS.md, "Edge").
 */
const securityHeaders = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  xFrameOptions: 'DENY',
  xXssProtection: false,
  xDownloadOptions: false,
  xDnsPrefetchControl: false,
  xPermittedCrossDomainPolicies: false,
  originAgentCluster: false,
});

/** The edge API; the same app runs on Workers (index.ts) and under Node (node.ts). */
export function createApp(options: AppOptions = {}) {
  const app = createRouter();

  app.use('*', requestId());
  app.use('*', requestLog);
  app.use('*', securityHeaders);
  app.use('/api/*', (c, next) => {
    const origins = (c.env.CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
    return cors({
      origin: origins,
      allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
      exposeHeaders: ['X-Request-Id', 'Retry-After', 'Allow'],
      maxAge: 600,
    })(c, next);
  });
  app.use('/api/*', async (c, next) => {
    // Tokens and personal data: never stored by a browser or a shared cache (RFC 6749 §5.1).
    // Set before the response exists, so it is part of it (a handler may still override it).
    c.header('Cache-Control', 'no-store');
    await next();
  });
  // After CORS (a 405 carries its headers, preflights are answered first), before body checks.
  app.use('*', allowedMethods(() => app.routes));
  app.use('/api/*', limitBody, requireJson, resources);
  app.use('/api/*', async (c, next) => {
    c.set('clientIp', clientIp(c.req.raw.headers, options.clientAddress?.()));
    await next();
  });

  app.route('/', healthRouter);
  app.route('/api/v1/auth', authRouter);
  app.route('/api/v1/users', usersRouter);
  app.route('/api/v1/meetings', meetingsRouter);
  app.route('/api/v1/meetings', joinRouter);
  app.route('/api/v1/meetings', lobbyRouter);
  app.route('/api/v1/meetings', summaryRouter);
  app.route('/api/v1/ai', aiRouter);

  // Built on the first request, when every route is registered; the routes never change.
  let document: object | undefined;
  app.openapi(openApiRoute, (c) => {
    document ??= edgeOpenApiDocument(app);
    return c.json(document, 200);
  });

  // Answered, not thrown: a throw here would skip the security headers (Hono calls the
  // not-found handler outside the middleware chain's error handling).
  app.notFound((c) => handleError(notFound('No such route.'), c));
  app.onError(handleError);
  return app;
}

export type EdgeApp = ReturnType<typeof createApp>;
