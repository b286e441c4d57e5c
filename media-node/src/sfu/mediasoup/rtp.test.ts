import { describe, expect, it } from 'vitest';
import { parseRtpPacket } from './rtp.ts';

function packet(options: { csrcs?: number; extensionWords?: number; padding?: number; payload: number[] }): Uint8Array {
  const csrcs = options.csrcs ?? 0;
  const ext = options.extensionWords;
  const header = 12 + csrcs * 4 + (ext === undefined ? 0 : 4 + ext * 4);
  const padding = options.padding ?? 0;
  const bytes = new Uint8Array(header + options.payload.length + padding);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x80 | (padding ? 0x20 : 0) | (ext === undefined ? 0 : 0x10) | csrcs;
  bytes[1] = 0x80 | 100; // marker + payload type 100
  view.setUint16(2, 65_000);
  view.setUint32(4, 960 * 7);
  view.setUint32(8, 0xdeadbeef);
  if (ext !== undefined) {
    view.setUint16(12 + csrcs * 4, 0xbede);
    view.setUint16(12 + csrcs * 4 + 2, ext);
  }
  bytes.set(options.payload, header);
  if (padding) bytes[bytes.length - 1] = padding;
  return bytes;
}

describe('parseRtpPacket', () => {
  it('reads the fixed header and the payload', () => {
    const rtp = parseRtpPacket(packet({ payload: [1, 2, 3] }));
    expect(rtp).toMatchObject({ payloadType: 100, sequenceNumber: 65_000, timestamp: 960 * 7, ssrc: 0xdeadbeef });
    expect([...rtp!.payload]).toEqual([1, 2, 3]);
  });

  it('skips CSRCs, a header extension and padding', () => {
    const rtp = parseRtpPacket(packet({ csrcs: 2, extensionWords: 2, padding: 4, payload: [9, 8] }));
    expect([...rtp!.payload]).toEqual([9, 8]);
  });

  it('rejects what is not RTP', () => {
    expect(parseRtpPacket(new Uint8Array(8))).toBeUndefined();
    const wrongVersion = packet({ payload: [1] });
    wrongVersion[0] = 0x40;
    expect(parseRtpPacket(wrongVersion)).toBeUndefined();
    const truncatedExtension = packet({ extensionWords: 10, payload: [] }).subarray(0, 18);
    expect(parseRtpPacket(truncatedExtension)).toBeUndefined();
  });
});
