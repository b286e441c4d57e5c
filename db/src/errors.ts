// Helpers to recognise PostgreSQL errors. drizzle-orm (>= 0.44) wraps driver errors in a
// DrizzleQueryError whose `cause` is the postgres.js PostgresError, so `err.code` is NOT
// the SQLSTATE: use pgError(err) instead. No Node-only imports (loaded by the Worker).

export const PG_ERROR = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  notNullViolation: '23502',
  invalidTextRepresentation: '22P02', // e.g. a value outside a pg enum, a malformed uuid
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;

export interface PgErrorInfo {
  /** SQLSTATE, e.g. '23505'. */
  code: string;
  message: string;
  constraint?: string | undefined;
  table?: string | undefined;
  column?: string | undefined;
  detail?: string | undefined;
}

function asPgError(value: unknown): PgErrorInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  // postgres.js PostgresError: 5-character SQLSTATE plus a severity field.
  if (typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code) || typeof e.severity !== 'string') return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    code: e.code,
    message: str(e.message) ?? '',
    constraint: str(e.constraint_name),
    table: str(e.table_name),
    column: str(e.column_name),
    detail: str(e.detail),
  };
}

/** The PostgreSQL error behind `err` (unwrapping `cause` chains), or undefined. */
export function pgError(err: unknown): PgErrorInfo | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && current != null; depth++) {
    const found = asPgError(current);
    if (found) return found;
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
  return undefined;
}

/** True if `err` is a PostgreSQL error with this SQLSTATE (and constraint, if given). */
export function isPgError(err: unknown, code: string, constraint?: string): boolean {
  const e = pgError(err);
  return e !== undefined && e.code === code && (constraint === undefined || e.constraint === constraint);
}
