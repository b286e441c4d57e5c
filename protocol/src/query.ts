import { z } from 'zod';

/**
 * A query-string integer in [min, max], `fallback` when absent: decimal digits only (no
 * sign, spaces, exponent or `0x`, which `Number()` would take), so that what the document
 * calls an integer is all that passes. Documented as `type: integer`.
 */
export function queryInteger(min: number, max: number, fallback: number) {
  return z
    .string()
    .regex(/^[0-9]{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .default(fallback)
    .meta({ type: 'integer', pattern: undefined, minimum: min, maximum: max, default: fallback });
}
