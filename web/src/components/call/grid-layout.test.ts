import { describe, expect, it } from 'vitest';
import { orderTiles, pageOf } from './grid-layout.ts';

const p = (userId: string, minute: number) => ({ userId, joinedAt: `2026-11-30T10:${String(minute).padStart(2, '0')}:00.000Z` });

describe('grid layout', () => {
  const others = [p('c', 3), p('a', 1), p('b', 2), p('d', 4), p('e', 5)];
  it('puts yourself first and the others by arrival', () => {
    expect(orderTiles(p('me', 0), others, null, 9).map((t) => t.userId)).toEqual(['me', 'a', 'b', 'c', 'd', 'e']);
  });
  it('brings the active speaker onto the first page', () => {
    expect(orderTiles(p('me', 0), others, 'e', 4).map((t) => t.userId)).toEqual(['me', 'a', 'b', 'e', 'c', 'd']);
    expect(orderTiles(p('me', 0), others, 'a', 4).map((t) => t.userId)).toEqual(['me', 'a', 'b', 'c', 'd', 'e']);
  });
  it('pages, clamping the page number', () => {
    const tiles = [1, 2, 3, 4, 5, 6, 7];
    expect(pageOf(tiles, 1, 4)).toEqual({ tiles: [5, 6, 7], pages: 2, page: 1 });
    expect(pageOf(tiles, 5, 4).page).toBe(1);
    expect(pageOf([], 0, 4)).toEqual({ tiles: [], pages: 1, page: 0 });
  });
});
