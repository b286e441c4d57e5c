import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import { ApiError, unavailable, validationFailed } from './api-error.ts';
import { isDependencyUnavailable } from './dependency-errors.ts';
import { zodIssuesToFields } from './validation.ts';
import { logEvent } from './log.ts';

/** Maps any thrown value to the JSON error shape; never leaks a stack trace. */
export function handleError(error: Error, c: Context): Response {
  const apiError = toApiError(error);
  if (apiError.status >= 500) {
    logEvent(c, 'error', 'request failed', { status: apiError.status, err: error.message, stack: error.stack });
  }
  const body = {
    error: {
      code: apiError.code,
      message: apiError.message,
      ...(apiError.details === undefined ? {} : { details: apiError.details }),
    },
  };
  return c.json(body, apiError.status, apiError.headers);
}

function toApiError(error: Error): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ZodError) return validationFailed(zodIssuesToFields(error.issues));
  if (error instanceof HTTPException) {
    return new ApiError(error.status as ContentfulStatusCode, codeForStatus(error.status), publicMessage(error));
  }
  if (isDependencyUnavailable(error)) {
    return unavailable('dependency_unavailable', 'A backing service is unavailable; retry shortly.');
  }
  return new ApiError(500, 'internal', 'Something went wrong on our side.');
}

function codeForStatus(status: number): string {
  switch (status) {
    case 400: return 'bad_request';
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 405: return 'method_not_allowed';
    case 413: return 'payload_too_large';
    case 415: return 'unsupported_media_type';
    default: return status >= 500 ? 'internal' : 'error';
  }
}

function publicMessage(error: HTTPException): string {
  if (error.status >= 500) return 'Something went wrong on our side.';
  return error.message || 'The request could not be processed.';
}
