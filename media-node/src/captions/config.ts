import { z } from 'zod';
import { parseEnv } from '../env-config.ts';

const envSchema = z.object({
  /** Live captions and talk time on this node (default true); summaries work either way. */
  CAPTIONS_ENABLED: z.enum(['true', 'false']).default('true'),
  /** ISO 639-1 hint sent with each utterance to the transcriber. */
  CAPTIONS_LANGUAGE: z.string().regex(/^[a-z]{2}$/).default('en'),
  /** Longest utterance, ms (the transcribe task limit is 16 s of audio). */
  CAPTIONS_MAX_UTTERANCE_MS: z.coerce.number().int().min(1_000).max(15_000).default(8_000),
  /** Pause that ends an utterance, ms: shorter cuts sooner (lower latency), longer keeps sentences whole. */
  CAPTIONS_MIN_SILENCE_MS: z.coerce.number().int().min(100).max(2_000).default(400),
  /** How long `ai.summarize` waits for its result, ms. */
  CAPTIONS_SUMMARY_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(20_000),
  /** At meeting end, how long the summary waits for the last utterances to be transcribed, ms. */
  CAPTIONS_FINAL_WAIT_MS: z.coerce.number().int().min(0).default(60_000),
});

/** Captions settings (from CAPTIONS_* variables). */
export interface CaptionsConfig {
  enabled: boolean;
  language: string;
  maxUtteranceMs: number;
  minSilenceMs: number;
  summaryTimeoutMs: number;
  finalWaitMs: number;
}

/** Parses CAPTIONS_*; throws one readable error naming every bad variable. */
export function loadCaptionsConfig(env: NodeJS.ProcessEnv = process.env): CaptionsConfig {
  const e = parseEnv(envSchema, env, 'captions');
  return {
    enabled: e.CAPTIONS_ENABLED === 'true',
    language: e.CAPTIONS_LANGUAGE,
    maxUtteranceMs: e.CAPTIONS_MAX_UTTERANCE_MS,
    minSilenceMs: e.CAPTIONS_MIN_SILENCE_MS,
    summaryTimeoutMs: e.CAPTIONS_SUMMARY_TIMEOUT_MS,
    finalWaitMs: e.CAPTIONS_FINAL_WAIT_MS,
  };
}
