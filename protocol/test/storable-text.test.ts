import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { findUnstorableText, hasVisibleText, printableKey, storable, unstorableTextReason } from '../src/storable-text.ts';

describe('storable text', () => {
  it('refuses NUL and unpaired surrogates; surrogate pairs (emoji) are fine', () => {
    expect(unstorableTextReason('plain')).toBeUndefined();
    expect(unstorableTextReason('😀 and 𝄞')).toBeUndefined();
    expect(unstorableTextReason('a\u0000b')).toMatch(/NUL/);
    for (const lone of ['\ud800', 'x\udbff', '\udc00x', '\ude00\ud83d', '😀\ud83d']) {
      expect(unstorableTextReason(lone), JSON.stringify(lone)).toMatch(/surrogates/);
    }
  });

  it('finds every bad string and key with its path, at any depth, without recursion limits', () => {
    const value = JSON.parse('{"a":"ok","b":["x","\\ud800"],"c\\u0000":{"d":{"e":"\\udfff"}},"f":1,"g":null}');
    expect(findUnstorableText(value)).toEqual([
      { path: ['b', 1], message: expect.stringMatching(/surrogates/) },
      { path: ['c\\u0000'], message: expect.stringMatching(/^key .*NUL/) },
      { path: ['c\\u0000', 'd', 'e'], message: expect.stringMatching(/surrogates/) },
    ]);
    let deep: unknown = '\ud800';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorableText(deep)[0]?.path).toHaveLength(100_000);
    expect(findUnstorableText(Array.from({ length: 50 }, () => '\u0000'), 10)).toHaveLength(10);
  });

  it('prints bad keys readably', () => {
    expect(printableKey('ok')).toBe('ok');
    expect(printableKey('a\u0000\ud800')).toBe('a\\u0000\\ud800');
  });

  it('as a zod refinement: issues name the path inside the refined value', () => {
    const schema = storable(z.object({ settings: z.record(z.string(), z.unknown()) }));
    const result = schema.safeParse({ settings: { list: ['ok', 'bad\u0000'] } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path)).toEqual([['settings', 'list', 1]]);
    expect(schema.safeParse({ settings: { mood: '😀' } }).success).toBe(true);
  });

  it('knows visible text from blank-looking text', () => {
    for (const text of ['a', '1', '中', '👍', '🇫🇷', '…', 'e\u0301', '$']) expect(hasVisibleText(text), JSON.stringify(text)).toBe(true);
    for (const text of ['', ' ', '\t\n', '\u200b', '\u200d\u2060', '\u3164', '\u2800', '\ufe0f', '\u0301', '\u00ad', '\ue000']) {
      expect(hasVisibleText(text), JSON.stringify(text)).toBe(false);
    }
  });
});
