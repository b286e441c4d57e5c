import type { z } from 'zod';
import { validationFailed, type FieldIssue } from './api-error.ts';

/** zod issues as `{ path, message }` pairs, e.g. `{ path: 'body.email', … }`. */
export function zodIssuesToFields(issues: readonly z.core.$ZodIssue[], prefix?: string): FieldIssue[] {
  return issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.') || '(root)',
    message: issue.message,
  }));
}

/**
 * The zod-openapi hook for every route: a failed validation becomes a 400
 * listing the failing fields, prefixed by where they came from (body, query, param).
 */
type ValidationResult = { target: string } & (
  | { success: true; data?: unknown }
  | { success: false; error: { issues: readonly z.core.$ZodIssue[] } }
);

export function validationHook(result: ValidationResult): void {
  const prefix = result.target === 'json' ? 'body' : result.target;
  if (!result.success) {
    throw validationFailed(zodIssuesToFields(result.error.issues, prefix));
  }
  // PostgreSQL text and jsonb cannot hold U+0000: refuse it here rather than fail in SQL.
  const nul = pathsWithNul(result.data, prefix);
  if (nul.length > 0) {
    throw validationFailed(nul.map((path) => ({ path, message: 'must not contain NUL (\\u0000) characters' })));
  }
}

/** Paths (at most 10) of strings and object keys containing U+0000; iterative, so depth cannot overflow the stack. */
function pathsWithNul(value: unknown, prefix: string): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[value, prefix]];
  while (stack.length > 0 && found.length < 10) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) found.push(path);
    } else if (Array.isArray(current)) {
      current.forEach((item, i) => {
        stack.push([item, `${path}.${i}`]);
      });
    } else if (current !== null && typeof current === 'object' && Object.getPrototypeOf(current) === Object.prototype) {
      for (const [key, item] of Object.entries(current)) {
        if (key.includes('\u0000')) found.push(`${path}.${key.replaceAll('\u0000', '\\u0000')}`);
        stack.push([item, `${path}.${key.replaceAll('\u0000', '\\u0000')}`]);
      }
    }
  }
  return found;
}
