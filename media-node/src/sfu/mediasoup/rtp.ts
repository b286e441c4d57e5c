// The fixed RTP header (RFC 3550 §5.1), enough to take a packet's payload out.

/** The parts of an RTP packet the audio tap uses. */
export interface RtpPacketView {
  payloadType: number;
  sequenceNumber: number;
  /** In units of the codec's clock rate (48 kHz for Opus). */
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
}

/**
 * Reads an RTP packet: version 2, CSRCs, a header extension and padding are skipped.
 * @returns undefined for anything that is not a well-formed RTP packet.
 */
export function parseRtpPacket(packet: Uint8Array): RtpPacketView | undefined {
  if (packet.length < 12) return undefined;
  const first = packet[0]!;
  if (first >> 6 !== 2) return undefined;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  let offset = 12 + (first & 0x0f) * 4;
  if (first & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + view.getUint16(offset + 2) * 4;
  }
  let end = packet.length;
  if (first & 0x20) end -= packet[packet.length - 1]!;
  if (end < offset) return undefined;
  return {
    payloadType: packet[1]! & 0x7f,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payload: packet.subarray(offset, end),
  };
}
