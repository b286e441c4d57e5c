// The pieces both servers use to keep their HTTP contract and their OpenAPI documents
// in step: the Allow lookup, code-point text bounds, and the input-schema completion.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  allowedMethodsLookup,
  asciiDigits,
  completeInputSchemas,
  isMethodAllowed,
  NUL_FREE_PATTERN,
  text,
  VISIBLE_TEXT_PATTERN,
} from '../src/index.ts';

describe('allowedMethodsLookup', () => {
  const lookup = allowedMethodsLookup([
    { method: 'ALL', path: '/api/*' },
    { method: 'GET', path: '/api/v1/meetings' },
    { method: 'POST', path: '/api/v1/meetings' },
    { method: 'GET', path: '/api/v1/meetings/:id' },
    { method: 'PATCH', path: '/api/v1/meetings/:id' },
    { method: 'POST', path: '/api/v1/meetings/:id/join' },
    { method: 'GET', path: '/files/:name{[a-z]+\\.txt}' },
  ]);

  it('lists a path\'s methods in Allow order, HEAD with GET, always OPTIONS; middleware does not count', () => {
    expect(lookup('/api/v1/meetings')).toEqual(['GET', 'HEAD', 'POST', 'OPTIONS']);
    expect(lookup('/api/v1/meetings/abc')).toEqual(['GET', 'HEAD', 'PATCH', 'OPTIONS']);
    expect(lookup('/api/v1/meetings/abc/join')).toEqual(['POST', 'OPTIONS']);
    expect(lookup('/files/notes.txt')).toEqual(['GET', 'HEAD', 'OPTIONS']);
  });

  it('knows nothing of paths no route matches (they stay 404)', () => {
    expect(lookup('/api/v1/other')).toBeUndefined();
    expect(lookup('/api/v1/meetings/a/b')).toBeUndefined();
    expect(lookup('/files/NOTES.TXT')).toBeUndefined();
  });

  it('treats HEAD as GET', () => {
    expect(isMethodAllowed('HEAD', ['GET', 'HEAD', 'OPTIONS'])).toBe(true);
    expect(isMethodAllowed('head', ['POST', 'OPTIONS'])).toBe(false);
    expect(isMethodAllowed('DELETE', ['GET', 'HEAD', 'PATCH', 'OPTIONS'])).toBe(false);
  });
});

describe('text()', () => {
  const title = text({ min: 1, max: 5, trim: true });
  const password = text({ min: 4, max: 6 });

  it('counts code points, as JSON Schema and PostgreSQL do (an emoji is one character)', () => {
    expect(password.safeParse('😀😀😀😀😀😀').success).toBe(true); // 12 UTF-16 units
    expect(password.safeParse('😀😀😀😀😀😀😀').success).toBe(false);
    expect(password.safeParse('😀😀😀').success).toBe(false); // 6 units, 3 characters
  });

  it('bounds trimmed text as sent and needs one visible character', () => {
    expect(title.parse('  ab ')).toBe('ab');
    expect(title.safeParse('  abc ').success).toBe(false); // 6 characters as sent
    for (const blank of ['', ' ', '\t\u00a0\u3000', '\ufeff']) expect(title.safeParse(blank).success, JSON.stringify(blank)).toBe(false);
  });

  it('refuses NUL and unpaired surrogates (storable text), keeps emoji', () => {
    expect(password.safeParse('abc\u0000d').success).toBe(false);
    expect(title.safeParse('a\u0000').success).toBe(false);
    expect(password.safeParse('abc\ud800').success).toBe(false);
    expect(title.safeParse('\udc00a').success).toBe(false);
    expect(title.safeParse('😀').success).toBe(true);
  });

  it('says the same in its JSON Schema (and the patterns agree with the checks)', () => {
    const visible = new RegExp(VISIBLE_TEXT_PATTERN);
    for (const sample of ['a', ' a ', '\u2028x', ' ', '\u2000\u200a', 'a\u0000']) {
      expect(visible.test(sample), JSON.stringify(sample)).toBe(title.safeParse(sample).success || sample.length > 5);
    }
    expect(new RegExp(NUL_FREE_PATTERN).test('a\u0000')).toBe(false);
    expect(z.toJSONSchema(password)).toMatchObject({ minLength: 4, maxLength: 6, pattern: NUL_FREE_PATTERN });
  });
});

describe('completeInputSchemas', () => {
  const document = () => ({
    paths: {
      '/things/{id}': {
        post: {
          parameters: [{ name: 'id', in: 'path', schema: { type: 'string', format: 'uuid' } }],
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Input' } } } },
          responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Output' } } } } },
        },
      },
    },
    components: {
      schemas: {
        Input: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            kind: { type: 'string', enum: ['a', 'b'] },
            code: { type: 'string', pattern: '^\\d+[\\d.]\\\\d$' },
            email: { type: 'string', format: 'email' },
            labels: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
            secret: { type: 'string', not: { pattern: '^x$' } },
            count: { type: 'integer', minimum: 0 },
          },
        },
        Output: { type: 'object', properties: { name: { type: 'string' } } },
      },
    },
  });

  it('adds zod\'s format patterns, the NUL rule and safe-integer bounds to inputs only, and reads \\d as ASCII digits', () => {
    const completed = completeInputSchemas(document());
    const input = completed.components.schemas.Input.properties;
    expect(completed.paths['/things/{id}'].post.parameters[0]?.schema).toMatchObject({ pattern: expect.stringContaining('[1-8]') });
    expect(input.name).toMatchObject({ pattern: NUL_FREE_PATTERN });
    expect(input.kind).not.toHaveProperty('pattern');
    expect(input.code.pattern).toBe('^[0-9]+[0-9.]\\\\d$');
    const email = new RegExp((input.email as unknown as { pattern: string }).pattern);
    expect(email.test('ada@example.com')).toBe(true);
    expect(email.test('ada@localhost')).toBe(false);
    expect(input.labels).toMatchObject({ propertyNames: { pattern: NUL_FREE_PATTERN }, additionalProperties: { pattern: NUL_FREE_PATTERN } });
    expect(input.secret).toMatchObject({ pattern: NUL_FREE_PATTERN, not: { pattern: '^x$' } });
    expect(input.count).toEqual({ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
    expect(completed.components.schemas.Output.properties.name).not.toHaveProperty('pattern');
  });

  it('rewrites \\d outside and inside classes, and keeps escaped backslashes', () => {
    expect(asciiDigits('\\d{4}-[\\d:]\\\\d')).toBe('[0-9]{4}-[0-9:]\\\\d');
  });
});
