import { sentimentProcessor } from './sentiment.ts';
import { speechActivityProcessor } from './speech-activity.ts';
import { summaryProcessor } from './summary.ts';
import { transcribeProcessor } from './transcribe.ts';
import type { ProcessorMap } from './types.ts';

/** The built-in processor of each analysis type. */
export const defaultProcessors: ProcessorMap = {
  speech_activity: speechActivityProcessor,
  transcribe: transcribeProcessor,
  sentiment: sentimentProcessor,
  summary: summaryProcessor,
};
