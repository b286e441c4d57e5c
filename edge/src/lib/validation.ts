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
  | { success: true }
  | { success: false; error: { issues: readonly z.core.$ZodIssue[] } }
);

export function validationHook(result: ValidationResult): void {
  if (!result.success) {
    throw validationFailed(zodIssuesToFields(result.error.issues, result.target === 'json' ? 'body' : result.target));
  }
}
