import { createMiddleware } from 'hono/factory';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../lib/api-error.ts';

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 1024 * 1024;

const methodsWithBody = new Set(['POST', 'PUT', 'PATCH']);

/** 415 unless a request that carries a body says it is JSON. */
export const requireJson = createMiddleware<AppEnv>(async (c, next) => {
  if (methodsWithBody.has(c.req.method)) {
    const length = c.req.header('content-length');
    const hasBody = length === undefined ? c.req.raw.body !== null : Number(length) > 0;
    const type = c.req.header('content-type') ?? '';
    if (hasBody && !/^application\/json\s*(;|$)/i.test(type)) {
      throw new ApiError(415, 'unsupported_media_type', 'Send the body as application/json.');
    }
  }
  await next();
});

/** 413 for bodies over MAX_BODY_BYTES, checked while streaming (no trusting Content-Length). */
export const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError(413, 'payload_too_large', `The body exceeds ${MAX_BODY_BYTES} bytes.`);
  },
});
