// Word error rate for speech-to-text checks: (substitutions + deletions + insertions) /
// reference words, over lower-cased words with punctuation removed (so "follow-up" and
// "follow up" compare equal). Levenshtein distance over word sequences.

/** Lower-case words without punctuation. */
export function normaliseWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Edit distance in words between a reference and a hypothesis, and the reference's length. */
export function wordErrors(reference: string, hypothesis: string): { errors: number; words: number } {
  const r = normaliseWords(reference);
  const h = normaliseWords(hypothesis);
  let row = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const next = [i];
    for (let j = 1; j <= h.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (r[i - 1] === h[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return { errors: row[h.length]!, words: r.length };
}

/** Corpus WER over pairs of (reference, hypothesis): total errors / total reference words. */
export function wordErrorRate(pairs: readonly { reference: string; hypothesis: string }[]): number {
  let errors = 0;
  let words = 0;
  for (const p of pairs) {
    const e = wordErrors(p.reference, p.hypothesis);
    errors += e.errors;
    words += e.words;
  }
  return words === 0 ? 0 : errors / words;
}
