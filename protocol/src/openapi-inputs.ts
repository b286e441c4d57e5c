import { z } from 'zod';
import { STORABLE_TEXT_PATTERN } from './text.ts';

// The last step of generating an OpenAPI 3.1 document from zod route declarations
// (@hono/zod-openapi → zod-to-openapi): rules the servers enforce on every input but that
// the generator leaves out are written into the request schemas, so that a client or a
// fuzzer reading the document sends only what the server accepts.

/** A JSON Schema / OpenAPI schema object, as found in a generated document. */
type SchemaNode = Record<string, unknown>;


// zod checks string formats with its own patterns, narrower than JSON Schema's `format`
// (a UUID needs a version 1-8 and the RFC variant; an email a dotted domain). Inputs
// declare date-times with an offset (`z.iso.datetime({ offset: true })`), which also
// accepts `Z`.
const formatPatterns: Record<string, string> = {
  uuid: patternOf(z.uuid()),
  email: patternOf(z.email()),
  'date-time': patternOf(z.iso.datetime({ offset: true })),
};

function patternOf(schema: z.ZodType): string {
  const pattern = (z.toJSONSchema(schema) as { pattern?: unknown }).pattern;
  if (typeof pattern !== 'string') throw new Error('zod gave no pattern for a string format');
  return pattern;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Completes the request schemas of a generated document, in place, with what every
 * route's validation enforces:
 * - a string with a `format` zod checks by pattern (uuid, email, date-time) gets zod's pattern;
 * - any other input string without a pattern, enum or const gets one refusing U+0000 and
 *   unpaired surrogates (the servers refuse both in every input string: storable-text.ts),
 *   and so do the keys of free-form objects;
 * - `\d` in every pattern of the document becomes `[0-9]`: JavaScript's `\d` is ASCII, the
 *   `\d` of Python and Rust engines (fuzzers, validators) also matches other scripts' digits.
 * Response schemas are left as generated. Returns the same document.
 */
export function completeInputSchemas<T extends object>(document: T): T {
  const doc = document as { paths?: Record<string, SchemaNode>; components?: { schemas?: Record<string, SchemaNode> } };
  const components = doc.components?.schemas ?? {};
  const visitedRefs = new Set<string>();
  const visit = (node: unknown): void => {
    if (!isNode(node)) return;
    const ref = node['$ref'];
    if (typeof ref === 'string') {
      const name = ref.replace('#/components/schemas/', '');
      if (!visitedRefs.has(name) && components[name]) {
        visitedRefs.add(name);
        visit(components[name]);
      }
      return;
    }
    completeString(node);
    completeFreeFormObject(node);
    for (const key of ['items', 'additionalProperties', 'propertyNames', 'if', 'then', 'else']) visit(node[key]);
    for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) {
      const list = node[key];
      if (Array.isArray(list)) list.forEach(visit);
    }
    const properties = node['properties'];
    if (isNode(properties)) Object.values(properties).forEach(visit);
    // `not` is left alone: a pattern added inside it would widen what is accepted.
  };

  for (const pathItem of Object.values(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (!isNode(operation)) continue;
      const parameters = operation['parameters'];
      if (Array.isArray(parameters)) for (const parameter of parameters) if (isNode(parameter)) visit(parameter['schema']);
      const body = operation['requestBody'];
      const content = isNode(body) ? body['content'] : undefined;
      if (isNode(content)) for (const media of Object.values(content)) if (isNode(media)) visit(media['schema']);
    }
  }
  rewriteDigitClasses(document);
  return document;
}

function completeString(node: SchemaNode): void {
  const type = node['type'];
  const isString = type === 'string' || (Array.isArray(type) && type.includes('string'));
  if (!isString || node['pattern'] !== undefined || node['enum'] !== undefined || node['const'] !== undefined) return;
  const format = node['format'];
  if (typeof format === 'string') {
    const pattern = formatPatterns[format];
    if (pattern) node['pattern'] = pattern;
    return;
  }
  node['pattern'] = STORABLE_TEXT_PATTERN;
}

function completeFreeFormObject(node: SchemaNode): void {
  if (isNode(node['additionalProperties']) && node['propertyNames'] === undefined) {
    node['propertyNames'] = { pattern: STORABLE_TEXT_PATTERN };
  }
}

function rewriteDigitClasses(value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach(rewriteDigitClasses);
    return;
  }
  if (!isNode(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'pattern' && typeof child === 'string') value[key] = asciiDigits(child);
    else rewriteDigitClasses(child);
  }
}

/** `\d` → `[0-9]` (`0-9` inside a character class); escaped backslashes are kept as they are. */
export function asciiDigits(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\') {
      const next = pattern[i + 1] ?? '';
      out += next === 'd' ? (inClass ? '0-9' : '[0-9]') : `\\${next}`;
      i++;
      continue;
    }
    if (char === '[' && !inClass) inClass = true;
    else if (char === ']' && inClass) inClass = false;
    out += char;
  }
  return out;
}

function isNode(value: unknown): value is SchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
