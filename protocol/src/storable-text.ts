import { z } from 'zod';

// Text that PostgreSQL or MongoDB cannot store, refused where it enters the system.
//
// - U+0000 (NUL): PostgreSQL `text` and `jsonb` reject it ("invalid byte sequence" /
//   "unsupported Unicode escape sequence"), MongoDB rejects it in keys.
// - Unpaired UTF-16 surrogates (U+D800–U+DFFF without their partner), which JSON.parse
//   happily produces from `"\ud800"`: `jsonb` rejects them (a 500 if nobody checks first),
//   and `text` columns and BSON strings silently store U+FFFD instead (the data changes).
//
// The edge runs this refinement over everything its router validated (400 naming each
// field) and the signaling request schema carries it (`bad_request` naming each field),
// so one rule guards both boundaries, keys of objects included, at any depth.

/** One string or key that cannot be stored: where it is and why. */
export interface UnstorableText {
  /** Path of the value (object keys and array indexes); a key names its own path. */
  path: (string | number)[];
  message: string;
}

/** Why `text` cannot be stored, or undefined when it can. */
export function unstorableTextReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
  if (!text.isWellFormed()) return 'must not contain unpaired UTF-16 surrogates (\\ud800-\\udfff)';
  return undefined;
}

/** A key as it can be shown in a path: NUL and surrogates written as `\uXXXX`. */
export function printableKey(key: string): string {
  if (unstorableTextReason(key) === undefined) return key;
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    out += code === 0 || (code >= 0xd800 && code <= 0xdfff) ? `\\u${code.toString(16).padStart(4, '0')}` : key[i];
  }
  return out;
}

/** A position in the walked value: its key and the position of its parent (paths are built only for findings). */
interface Position {
  key: string | number;
  parent: Position | undefined;
  /** Why the key itself cannot be stored, if it cannot. */
  keyReason?: string | undefined;
}

const pathOf = (position: Position | undefined): (string | number)[] => {
  const path: (string | number)[] = [];
  for (let p = position; p; p = p.parent) path.push(p.key);
  return path.reverse();
};

/**
 * Every string and object key inside `value` (plain JSON: objects, arrays, strings)
 * that cannot be stored, at most `limit` of them, in document order. Iterative and
 * linear in the size of the value, so a deeply nested hostile value can neither
 * overflow the stack nor make the walk quadratic; other values are skipped.
 */
export function findUnstorableText(value: unknown, limit = 10): UnstorableText[] {
  const found: UnstorableText[] = [];
  const stack: [unknown, Position | undefined][] = [[value, undefined]];
  while (stack.length > 0 && found.length < limit) {
    const [current, position] = stack.pop()!;
    if (position?.keyReason) {
      found.push({ path: pathOf(position), message: `key ${position.keyReason}` });
      if (found.length >= limit) break;
    }
    if (typeof current === 'string') {
      const reason = unstorableTextReason(current);
      if (reason) found.push({ path: pathOf(position), message: reason });
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push([current[i], { key: i, parent: position }]);
    } else if (current !== null && typeof current === 'object' && isPlainObject(current)) {
      const keys = Object.keys(current);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        const child: Position = { key: printableKey(key), parent: position, keyReason: unstorableTextReason(key) };
        stack.push([(current as Record<string, unknown>)[key], child]);
      }
    }
  }
  return found;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The zod refinement: adds one issue per unstorable string or key (path relative to the
 * refined value) and so fails the parse. Attach it to any schema: `storable(schema)`.
 */
export function refuseUnstorableText(value: unknown, ctx: z.RefinementCtx): void {
  for (const issue of findUnstorableText(value)) {
    ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  }
}

/** `schema` that also refuses any string or key inside its value that cannot be stored. */
export function storable<T extends z.ZodType>(schema: T): T {
  return schema.superRefine(refuseUnstorableText) as T;
}

/** Any JSON value whose strings and keys can all be stored. */
export const storableJsonSchema = storable(z.unknown());

// Visible: a letter, digit, punctuation mark or symbol (emoji included) that is not a
// default-ignorable code point (zero-width spaces, joiners, fillers such as U+3164) and
// not U+2800 (the blank braille pattern, a common "invisible message" trick). Whitespace,
// control and format characters, lone combining marks and private-use characters alone
// do not make a message.
const VISIBLE = /(?![\p{Default_Ignorable_Code_Point}\u2800])[\p{L}\p{N}\p{P}\p{S}]/u;

/** True when `text` shows something on screen (see VISIBLE above). */
export const hasVisibleText = (text: string): boolean => VISIBLE.test(text);

/** A string that must show something: whitespace, zero-width and filler characters alone are refused. */
export const visibleTextSchema = z.string().refine(hasVisibleText, 'must contain at least one visible character');
