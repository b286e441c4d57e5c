import { CONSTRAINTS, PG_ERROR, isPgError, type Transaction } from '@huddle/db';
import { unavailable } from '../lib/api-error.ts';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';
/** Letters per dash-separated group: `abc-defg-hij` (MEETING_CODE_PATTERN). */
const GROUPS = [3, 4, 3] as const;
const LETTERS = GROUPS.reduce((sum, n) => sum + n, 0);
// Bytes at or above 234 (= 9 * 26) are thrown away: `byte % 26` over 0..233 hits
// every letter exactly 9 times, so no letter is more likely than another.
const BYTE_LIMIT = 256 - (256 % ALPHABET.length);

/** Attempts per request before giving up on finding a free code. */
export const MEETING_CODE_MAX_ATTEMPTS = 5;

/** Fills a byte array with cryptographically strong random values. */
export type RandomBytes = (bytes: Uint8Array<ArrayBuffer>) => Uint8Array<ArrayBuffer>;
const cryptoBytes: RandomBytes = (bytes) => {
  crypto.getRandomValues(bytes);
  return bytes;
};

/**
 * A new meeting code like `kqz-mwpa-tdx`: 10 letters drawn uniformly from a–z with
 * crypto.getRandomValues (≈ 47 bits), by rejection sampling (no modulo bias).
 */
export function generateMeetingCode(randomBytes: RandomBytes = cryptoBytes): string {
  let letters = '';
  const buffer = new Uint8Array(LETTERS * 2);
  while (letters.length < LETTERS) {
    for (const byte of randomBytes(buffer)) {
      if (byte >= BYTE_LIMIT) continue;
      letters += ALPHABET[byte % ALPHABET.length];
      if (letters.length === LETTERS) break;
    }
  }
  const [a, b] = [GROUPS[0], GROUPS[0] + GROUPS[1]];
  return `${letters.slice(0, a)}-${letters.slice(a, b)}-${letters.slice(b)}`;
}

/** Options of insertWithUniqueCode (tests inject the generator). */
export interface UniqueCodeOptions {
  generate?: () => string;
  maxAttempts?: number;
}

/**
 * Runs `insert(savepoint, code)` with fresh codes until the insert does not violate
 * the meeting-code unique constraint. Each attempt runs in its own savepoint, so a
 * collision rolls back only that attempt and the surrounding transaction goes on.
 * Any other error passes through. After `maxAttempts` collisions: 503.
 */
export async function insertWithUniqueCode<T>(
  tx: Transaction,
  insert: (savepoint: Transaction, code: string) => Promise<T>,
  options: UniqueCodeOptions = {},
): Promise<{ value: T; code: string; attempts: number }> {
  const generate = options.generate ?? (() => generateMeetingCode());
  const maxAttempts = options.maxAttempts ?? MEETING_CODE_MAX_ATTEMPTS;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const code = generate();
    try {
      const value = await tx.transaction((savepoint) => insert(savepoint, code));
      return { value, code, attempts: attempt };
    } catch (error) {
      if (!isPgError(error, PG_ERROR.uniqueViolation, CONSTRAINTS.meetingsCodeUnique)) throw error;
    }
  }
  throw unavailable('meeting_code_unavailable', 'Could not allocate a meeting code; try again.');
}
