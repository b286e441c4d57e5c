import Sentiment from 'sentiment';
import type { Processor } from './types.ts';

const analyzer = new Sentiment();

/** `comparative` beyond ±this counts as positive/negative. */
const NEUTRAL_BAND = 0.05;

/**
 * `sentiment`: AFINN-165 word scores (the `sentiment` package, offline). Texts are at
 * most 10,000 characters (protocol limit), well under a millisecond of work, so this
 * runs on the event loop.
 */
export const sentimentProcessor: Processor<'sentiment'> = async (task) => {
  const { score, comparative } = analyzer.analyze(task.payload.text);
  const label = comparative > NEUTRAL_BAND ? 'positive' : comparative < -NEUTRAL_BAND ? 'negative' : 'neutral';
  return { score, comparative, label };
};
