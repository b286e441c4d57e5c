import type { z } from 'zod';
import { storableJsonSchema } from '@huddle/protocol';
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
  // Strings and keys Postgres or MongoDB cannot store (NUL, unpaired surrogates), at any
  // depth of whatever the route accepted: refused here rather than failing (jsonb: a 500)
  // or being silently altered (text: U+FFFD) in the database.
  const unstorable = storableJsonSchema.safeParse(result.data);
  if (!unstorable.success) {
    throw validationFailed(zodIssuesToFields(unstorable.error.issues, prefix));
  }
}
