import { describe, expect, it } from 'vitest';
import { formatDuration, toLocalInputValue } from './format.ts';

describe('format', () => {
  it('formats durations for talk time and meeting length', () => {
    expect(formatDuration(12_300)).toBe('12 s');
    expect(formatDuration(249_000)).toBe('4 min 09 s');
    expect(formatDuration(3_900_000)).toBe('1 h 05 min');
  });
  it('writes local datetime-input values', () => {
    expect(toLocalInputValue(new Date(2027, 0, 5, 9, 7))).toBe('2027-01-05T09:07');
  });
});
