import { describe, expect, it } from 'vitest';
import { GUEST_NAME_PATTERN, guestNameSchema, MEETING_CODE_REGEX, parseLobbyTicket, resolveMeetingSettings } from '../src/index.ts';
import { MEETING_CODE_PATTERN } from '../../db/src/schema.ts';

describe('guest names', () => {
  it('keeps a trimmed visible name, emoji and scripts included', () => {
    expect(guestNameSchema.parse('  Ada 🚀 ')).toBe('Ada 🚀');
    expect(guestNameSchema.parse('Łukasz Żółć')).toBe('Łukasz Żółć');
    expect(guestNameSchema.parse('李小龙')).toBe('李小龙');
  });

  it('refuses empty, invisible, control, bidi-override, unpaired-surrogate and overlong names', () => {
    for (const bad of ['', '   ', '\u200b\u200b', '\u2800', 'a\u0000b', 'a\nb', 'Bob\u202eevil', 'x\ud800', 'x'.repeat(65)]) {
      expect(guestNameSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('states the same rules in its JSON Schema pattern, but for visibility and surrogates (described)', () => {
    const pattern = new RegExp(GUEST_NAME_PATTERN, 'u');
    const samples = ['Ada', '  Ada 🚀 ', 'a', ' \t a \n', 'x'.repeat(64), ` ${'x'.repeat(64)}  `, 'Jean Luc', '李小龙',
      '', '   ', 'x'.repeat(65), ` ${'x'.repeat(65)} `, 'a\u0000b', 'a\nb', 'a\tb', 'Bob\u202eevil', 'a\u2028b', 'a\u0085b'];
    for (const sample of samples) {
      expect(pattern.test(sample), JSON.stringify(sample)).toBe(guestNameSchema.safeParse(sample).success);
    }
    // Invisible-only names pass the pattern; the description carries that rule.
    expect(pattern.test('\u200b\u200b')).toBe(true);
    expect(guestNameSchema.safeParse('\u200b\u200b').success).toBe(false);
  });
});

describe('meeting settings', () => {
  it('reads typed keys with their defaults; a bad stored value never opens the meeting wider', () => {
    expect(resolveMeetingSettings({})).toEqual({ captions: true, entry: 'invited', lobby: true, locked: false });
    expect(resolveMeetingSettings(null)).toEqual({ captions: true, entry: 'invited', lobby: true, locked: false });
    expect(resolveMeetingSettings({ entry: 'everyone', lobby: 'no', locked: 1, captions: false })).toEqual({
      captions: false,
      entry: 'invited',
      lobby: true,
      locked: false,
    });
    expect(resolveMeetingSettings({ entry: 'guests', lobby: false, locked: true })).toMatchObject({ entry: 'guests', lobby: false, locked: true });
  });
});

describe('contract with the database', () => {
  it('reads meeting codes by the same rule as the meetings table', () => {
    expect(MEETING_CODE_REGEX.source).toBe(MEETING_CODE_PATTERN);
  });

  it('parses a stored ticket and refuses a malformed one', () => {
    const hash = {
      meetingId: '0b8f6a52-3f0e-4d57-9b7e-2f6f1c7d9a10',
      kind: 'guest',
      userId: '1b8f6a52-3f0e-4d57-9b7e-2f6f1c7d9a10',
      name: '123',
      ip: '203.0.113.7',
      status: 'waiting',
      knockedAt: '1796000000000',
      expiresAt: '1796001800000',
      blockSeconds: '600',
    };
    expect(parseLobbyTicket(hash)).toMatchObject({ name: '123', knockedAt: 1796000000000, status: 'waiting' });
    expect(parseLobbyTicket({ ...hash, status: 'maybe' })).toBeUndefined();
    expect(parseLobbyTicket({})).toBeUndefined();
  });
});
