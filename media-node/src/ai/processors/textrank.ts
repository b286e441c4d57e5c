// Small TextRank (Mihalcea & Tarau, 2004) for extractive summaries, plus TF-IDF keywords.
// Offline and deterministic. No npm package fitted: the maintained NLP suites (natural,
// wink-nlp) are large for this, the small summarisers are unmaintained.
//   sentences: split on . ! ? and line breaks; words: lower-case letters/digits ≥ 3 chars
//   minus English stop words;
//   similarity(a, b) = |common words| / (ln|a| + ln|b|) (the paper's measure);
//   PageRank with damping 0.85, 50 iterations over the weighted sentence graph;
//   summary = the top sentences, in their original order;
//   keywords = words by tf · ln(1 + N / df) over sentences, scaled so the best is 1.

const STOP_WORDS = new Set(
  `a about above after again against all also am an and any are as at be because been before being below between both
  but by can could did do does doing down during each few for from further had has have having he her here hers herself
  him himself his how i if in into is it its itself just let me more most my myself no nor not now of off on once only or
  other our ours ourselves out over own same she should so some such than that the their theirs them themselves then
  there these they this those through to too under until up very was we were what when where which while who whom why
  will with would you your yours yourself yourselves yes yeah okay ok get got go going gonna one two like really think
  know well right thing things lot make want need sure see say said still even much many may might must shall`
    .split(/\s+/)
    .filter(Boolean),
);

/** Sentences of a text (trimmed, non-empty). */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function words(sentence: string): string[] {
  return (sentence.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length >= 3 && !STOP_WORDS.has(w));
}

/** Keywords and an extractive summary of the given texts. */
export function summarise(
  texts: readonly string[],
  maxSentences: number,
  maxKeywords = 10,
): { sentences: string[]; keywords: { term: string; score: number }[] } {
  const sentences = texts.flatMap(splitSentences);
  const bags = sentences.map(words);
  const n = sentences.length;
  if (n === 0) return { sentences: [], keywords: [] };

  // Keywords: tf · idf with sentences as documents.
  const tf = new Map<string, number>();
  const df = new Map<string, number>();
  for (const bag of bags) {
    for (const w of bag) tf.set(w, (tf.get(w) ?? 0) + 1);
    for (const w of new Set(bag)) df.set(w, (df.get(w) ?? 0) + 1);
  }
  const scored = [...tf].map(([term, f]) => ({ term, score: f * Math.log(1 + n / (df.get(term) ?? 1)) }));
  scored.sort((a, b) => b.score - a.score || a.term.localeCompare(b.term));
  const top = scored.slice(0, maxKeywords);
  const best = top[0]?.score || 1;
  const keywords = top.map((k) => ({ term: k.term, score: Math.round((k.score / best) * 1000) / 1000 }));

  // Sentence graph.
  const sets = bags.map((b) => new Set(b));
  const weights: number[][] = sets.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = sets[i]!;
      const b = sets[j]!;
      if (a.size < 2 || b.size < 2) continue;
      let common = 0;
      for (const w of a) if (b.has(w)) common++;
      const w = common / (Math.log(a.size) + Math.log(b.size));
      weights[i]![j] = w;
      weights[j]![i] = w;
    }
  }
  const outSum = weights.map((row) => row.reduce((s, w) => s + w, 0));
  let rank = new Array<number>(n).fill(1 / n);
  for (let iter = 0; iter < 50; iter++) {
    const next = new Array<number>(n).fill((1 - 0.85) / n);
    for (let j = 0; j < n; j++) {
      if (outSum[j] === 0) continue;
      for (let i = 0; i < n; i++) {
        const w = weights[j]![i]!;
        if (w > 0) next[i]! += (0.85 * w * rank[j]!) / outSum[j]!;
      }
    }
    rank = next;
  }
  const chosen = rank
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r - a.r || a.i - b.i)
    .slice(0, maxSentences)
    .map((x) => x.i)
    .sort((a, b) => a - b);
  return { sentences: chosen.map((i) => sentences[i]!), keywords };
}
