import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { Buffer } from 'node:buffer';

/** scrypt cost parameters: N (CPU/memory cost, a power of two), r (block size), p (parallelism). */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * Current parameters for new hashes: OWASP's scrypt option N=2^14, r=8, p=5. It needs
 * 16 MiB per hash (128·N·r bytes) — a quarter of N=2^16,p=2 — so several concurrent
 * logins fit in one Worker isolate (128 MB), for the same CPU cost as the other OWASP
 * options (~230 ms in workerd, ~260 ms in Node on the reference machine; see
 * scripts/bench/password-hash.ts). Raise them here: older hashes are upgraded on login.
 */
export const CURRENT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 14, r: 8, p: 5 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const PREFIX = 'scrypt';
// Refuse parameters from a stored hash that would exhaust the isolate or its CPU budget.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY_BYTES = 64 * 1024 * 1024;

/** Unicode-normalises so that the same visible password always hashes the same way. */
const normalise = (password: string): string => password.normalize('NFKC');

function deriveKey(password: string, salt: Uint8Array, params: ScryptParams, keyBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      normalise(password),
      salt,
      keyBytes,
      { N: params.N, r: params.r, p: params.p, maxmem: 2 * 128 * params.N * params.r },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

/**
 * Hashes a password into a self-describing string `scrypt$N$r$p$<salt>$<hash>`
 * (salt and hash in base64), so parameters can be raised later.
 */
export async function hashPassword(password: string, params: ScryptParams = CURRENT_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(password, salt, params, KEY_BYTES);
  return [PREFIX, params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parseHash(encoded: string): ParsedHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) return undefined;
  const [N, r, p] = parts.slice(1, 4).map((v) => (/^\d{1,8}$/.test(v) ? Number(v) : NaN)) as [number, number, number];
  const valid =
    Number.isInteger(N) && N > 1 && N <= MAX_N && (N & (N - 1)) === 0 &&
    Number.isInteger(r) && r >= 1 && r <= MAX_R &&
    Number.isInteger(p) && p >= 1 && p <= MAX_P &&
    128 * N * r <= MAX_MEMORY_BYTES;
  if (!valid) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const key = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { params: { N, r, p }, salt, key };
}

/** Result of a password check. `needsRehash`: it matched, but under outdated parameters. */
export interface PasswordCheck {
  ok: boolean;
  needsRehash: boolean;
}

const sameParams = (a: ScryptParams, b: ScryptParams): boolean => a.N === b.N && a.r === b.r && a.p === b.p;

/**
 * Checks a password against a stored hash in constant time. An unreadable hash never
 * matches (but still costs one hash at the current parameters, like a real check).
 */
export async function verifyPassword(password: string, encoded: string): Promise<PasswordCheck> {
  const stored = parseHash(encoded);
  const parsed = stored ?? parseHash(dummyHash());
  if (!parsed) throw new Error('dummy password hash is malformed');
  const candidate = await deriveKey(password, parsed.salt, parsed.params, parsed.key.length);
  const ok = timingSafeEqual(candidate, parsed.key) && stored !== undefined;
  return { ok, needsRehash: ok && !sameParams(parsed.params, CURRENT_SCRYPT_PARAMS) };
}

/**
 * Spends the same time as checking a real hash, and never matches. Used when the
 * account does not exist, so response times do not reveal which logins are taken.
 */
export async function verifyAgainstDummy(password: string): Promise<void> {
  await verifyPassword(password, dummyHash());
}

// A well-formed hash at the current parameters whose key no password derives (all zeros
// would need a scrypt preimage). Built from constants: Workers forbid randomness at load.
const dummyHash = (): string => {
  const { N, r, p } = CURRENT_SCRYPT_PARAMS;
  return [PREFIX, N, r, p, Buffer.alloc(SALT_BYTES, 0x5a).toString('base64'), Buffer.alloc(KEY_BYTES).toString('base64')].join('$');
};
