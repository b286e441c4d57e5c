import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Prometheus metrics of the captions pipeline on one node. */
export interface CaptionsMetrics {
  /** Speakers whose audio is being tapped now. */
  speakers: Gauge;
  /** Utterances cut and queued for transcription. */
  utterances: Counter;
  /** Speech heard (talk time), seconds. */
  speechSeconds: Counter;
  /** Audio dropped because the VAD fell behind, seconds. */
  droppedSeconds: Counter;
  /** Captions delivered to this node's peers. */
  captions: Counter;
  /** End of an utterance → its caption delivered here, seconds. */
  latencySeconds: Histogram;
  /** Pipeline errors (VAD, enqueue, store), by stage. */
  errors: Counter<'stage'>;
}

/** Creates the captions metrics in a node's registry. */
export function createCaptionsMetrics(registry: Registry): CaptionsMetrics {
  const registers = [registry];
  return {
    speakers: new Gauge({ name: 'huddle_captions_speakers', help: 'Speakers whose audio is tapped for captions now.', registers }),
    utterances: new Counter({ name: 'huddle_captions_utterances_total', help: 'Utterances queued for transcription.', registers }),
    speechSeconds: new Counter({ name: 'huddle_captions_speech_seconds_total', help: 'Speech heard (talk time), seconds.', registers }),
    droppedSeconds: new Counter({
      name: 'huddle_captions_dropped_audio_seconds_total',
      help: 'Audio dropped because voice detection fell behind, seconds.',
      registers,
    }),
    captions: new Counter({ name: 'huddle_captions_delivered_total', help: 'Captions delivered to peers on this node.', registers }),
    latencySeconds: new Histogram({
      name: 'huddle_captions_latency_seconds',
      help: 'End of an utterance to its caption reaching this node, seconds.',
      buckets: [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
      registers,
    }),
    errors: new Counter({ name: 'huddle_captions_errors_total', help: 'Captions pipeline errors by stage.', labelNames: ['stage'], registers }),
  };
}
