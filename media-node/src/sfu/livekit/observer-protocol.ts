// Messages between the media node and its observer child process (observer-main.ts),
// over Node's IPC channel with `serialization: 'advanced'` (structured clone: PCM
// travels as an Int16Array, not as JSON).

/** Node → observer. */
export type ObserverCommand =
  /** Join the room as the hidden observer. */
  | { type: 'connect'; url: string; token: string; tap: boolean }
  /** Subscribe (true) or unsubscribe (false) every microphone for the audio tap. */
  | { type: 'tap'; on: boolean }
  /** Leave the room and exit. */
  | { type: 'close' };

/** Observer → node. */
export type ObserverMessage =
  | { type: 'connected' }
  /** A (non-hidden) participant is in the LiveKit room, or left it. `sid`: LiveKit participant sid. */
  | { type: 'presence'; identity: string; sid: string; present: boolean }
  /** The server's active speakers, loudest first. */
  | { type: 'activeSpeakers'; identities: string[] }
  /** A publication was muted or unmuted (`source`: LiveKit track source name). */
  | { type: 'muted'; identity: string; source: string; muted: boolean }
  /** 16 kHz mono PCM of one microphone; `atMs`: wall clock of the frame's first sample. */
  | { type: 'audio'; identity: string; pcm: Int16Array; atMs: number }
  /** A microphone the tap was reading is gone (unpublished, unsubscribed, left). */
  | { type: 'speakerGone'; identity: string }
  | { type: 'disconnected'; reason: string }
  | { type: 'error'; message: string };

/** Sample rate of the audio tap, in Hz (what captions expect). */
export const TAP_SAMPLE_RATE = 16_000;
