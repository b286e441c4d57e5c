/**
 * The order of the grid: yourself first, then everyone by arrival — except that the
 * active speaker is moved onto the first page when they would be on a later one.
 */
export function orderTiles<T extends { userId: string; joinedAt: string }>(self: T | null, others: T[], activeSpeaker: string | null, perPage: number): T[] {
  const sorted = [...others].sort((a, b) => a.joinedAt.localeCompare(b.joinedAt) || a.userId.localeCompare(b.userId));
  const all = self ? [self, ...sorted] : sorted;
  const index = all.findIndex((p) => p.userId === activeSpeaker);
  if (index >= perPage && perPage > 1) {
    const [speaker] = all.splice(index, 1);
    if (speaker) all.splice(perPage - 1, 0, speaker);
  }
  return all;
}

/** Tiles of one page (0-based), and how many pages there are. */
export function pageOf<T>(tiles: T[], page: number, perPage: number): { tiles: T[]; pages: number; page: number } {
  const pages = Math.max(1, Math.ceil(tiles.length / perPage));
  const current = Math.min(Math.max(0, page), pages - 1);
  return { tiles: tiles.slice(current * perPage, (current + 1) * perPage), pages, page: current };
}
