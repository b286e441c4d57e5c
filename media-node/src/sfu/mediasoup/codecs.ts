import type { types } from 'mediasoup';

/**
 * Codecs every meeting router offers. mediasoup adds an RTX codec for each video codec
 * (retransmissions after NACK), so clients get RTX without listing it here.
 * Opus: in-band FEC (recovers lost packets from the next one) and DTX (no packets
 * while silent). VP8 carries simulcast (three layers from the browser); VP9 (SVC) and
 * H264 constrained baseline 42e01f (hardware encoders, Safari) are there for clients
 * that prefer them.
 */
export const MEDIA_CODECS: types.RouterRtpCodecCapability[] = [
  {
    kind: 'audio',
    mimeType: 'audio/opus',
    clockRate: 48_000,
    channels: 2,
    parameters: { useinbandfec: 1, usedtx: 1 },
  },
  {
    kind: 'video',
    mimeType: 'video/VP8',
    clockRate: 90_000,
    parameters: { 'x-google-start-bitrate': 1000 },
  },
  {
    kind: 'video',
    mimeType: 'video/VP9',
    clockRate: 90_000,
    parameters: { 'profile-id': 0, 'x-google-start-bitrate': 1000 },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90_000,
    parameters: {
      'packetization-mode': 1,
      'profile-level-id': '42e01f',
      'level-asymmetry-allowed': 1,
      'x-google-start-bitrate': 1000,
    },
  },
];

/**
 * Consumer priorities (1 … 255): when the bandwidth estimate cannot carry every
 * stream, mediasoup serves higher priorities first. A shared screen is what everyone
 * is looking at, so it goes before cameras; audio streams are cheap and not simulcast.
 */
export const CONSUMER_PRIORITY = { screen: 3, camera: 1 } as const;
