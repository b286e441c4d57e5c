import { z } from 'zod';
import { unstorableTextReason } from './storable-text.ts';

// Free text at the HTTP boundary, bounded the way JSON Schema (and so the OpenAPI
// documents), PostgreSQL and people count characters: Unicode code points. JavaScript's
// `.length` counts UTF-16 units — an emoji is 2 — so zod's `.min()`/`.max()` would refuse
// text the documents promise to accept.

/**
 * JSON Schema pattern of a storable string: no U+0000 and no unpaired surrogate
 * (storable-text.ts). Read with Unicode semantics, as JSON Schema 2020-12 asks (the `u`
 * flag; Python's `re` on str): a surrogate pair is one code point and matches.
 */
export const STORABLE_TEXT_PATTERN = '^[^\\u0000\\ud800-\\udfff]*$';

/**
 * Body of a regex character class of what `String.prototype.trim()` removes (ECMAScript
 * WhiteSpace and LineTerminator), spelled out so that Python and Rust regex engines — which
 * fuzzers and validators use — read it the same as JavaScript (their `\s` differs).
 */
export const TRIMMED_SPACE_CLASS = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** JSON Schema pattern: storable, and at least one character that trimming keeps. */
export const VISIBLE_TEXT_PATTERN = `^[^\\u0000\\ud800-\\udfff]*[^\\u0000\\ud800-\\udfff${TRIMMED_SPACE_CLASS}][^\\u0000\\ud800-\\udfff]*$`;

/** Length in Unicode code points (a lone surrogate counts as one, as in JSON Schema). */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** Bounds of a `text()` field. */
export interface TextOptions {
  /** Fewest characters (code points); with `trim`, must be 1 (at least one visible character). */
  min?: number;
  /** Most characters (code points) as sent, before any trimming. */
  max: number;
  /** Remove surrounding whitespace; the value must keep at least one character. */
  trim?: boolean;
}

/**
 * A zod string bounded in code points, refusing U+0000, optionally trimmed. Its metadata
 * gives OpenAPI generators the same rules as JSON Schema (`minLength`, `maxLength`,
 * `pattern`), so documents generated from it say exactly what it accepts.
 * Throws at definition time for `trim` with a `min` other than 1 (not expressible).
 */
export function text({ min = 0, max, trim = false }: TextOptions) {
  if (trim && min !== 1) throw new Error('text(): trimmed text takes min 1 (one visible character)');
  let schema = z
    .string()
    .refine((value) => codePointLength(value) <= max, `must be at most ${max} characters`)
    .superRefine((value, ctx) => {
      const reason = unstorableTextReason(value);
      if (reason) ctx.addIssue({ code: 'custom', message: reason });
    });
  if (trim) {
    schema = schema.trim().refine((value) => value.length > 0, 'must not be empty or only whitespace');
  } else if (min > 0) {
    schema = schema.refine((value) => codePointLength(value) >= min, `must be at least ${min} characters`);
  }
  return schema.meta({
    ...(min > 0 ? { minLength: min } : {}),
    maxLength: max,
    pattern: trim ? VISIBLE_TEXT_PATTERN : STORABLE_TEXT_PATTERN,
  });
}
