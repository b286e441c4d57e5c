// A node asked to run mediasoup where no worker can start (runs everywhere, no worker
// needed): it still serves signaling, reports the SFU down on /ready and in the
// registry, answers `sfu.*` with `unavailable`, and validates SFU messages at the
// boundary (bad shapes are `bad_request`, the socket stays open).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaNodeRegistryKeys, parseMediaNodeEntry } from '@huddle/protocol';
import type { MediaNodeServer } from '../src/server.ts';
import { createSuite, mintJoinToken, REDIS_URL, TestClient } from './signaling-helpers.ts';

const suite = createSuite();
const redis = new Redis(REDIS_URL);
let node: MediaNodeServer;

beforeAll(async () => {
  node = await suite.startNode({
    sfuEngine: 'mediasoup',
    env: { ...suite.env, MEDIASOUP_WORKER_BIN: '/nonexistent/mediasoup-worker', MEDIASOUP_WORKERS: '1' },
  });
});
afterAll(async () => {
  await suite.teardown();
  redis.disconnect();
});

describe('mediasoup without a worker', () => {
  it('runs without an SFU and says so on /ready and in the registry', async () => {
    expect(node.sfu).toBeUndefined();
    const ready = await fetch(`http://127.0.0.1:${node.port}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'degraded', dependencies: { sfu: { status: 'down', error: 'sfu_not_running' } } });
    const entry = parseMediaNodeEntry(await redis.get(mediaNodeRegistryKeys(suite.registryPrefix).entry(node.config.nodeId)));
    expect(entry).toMatchObject({ backend: 'mediasoup', sfuAvailable: false });
  });

  it('joins with media unavailable, answers sfu.* with unavailable and refuses bad shapes', async () => {
    const m = await suite.seedMeeting(['host']);
    const token = await mintJoinToken({ userId: m.userIds[0]!, meetingId: m.meetingId, role: 'host' });
    const client = await TestClient.connect(node, token);
    expect(await client.request('sfu.getRouterRtpCapabilities')).toMatchObject({ ok: false, error: { code: 'not_joined' } });
    const joined = await client.request('join');
    expect(joined.data.media).toEqual({ backend: 'mediasoup', available: false });

    expect(await client.request('sfu.getRouterRtpCapabilities')).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(await client.request('sfu.createTransport', { direction: 'send' })).toMatchObject({ ok: false, error: { code: 'unavailable' } });

    const badShapes: [string, unknown][] = [
      ['sfu.createTransport', { direction: 'recv' }], // a receiving transport needs rtpCapabilities
      ['sfu.createTransport', { direction: 'sideways' }],
      ['sfu.createTransport', { direction: 'send', type: 'sctp' }],
      ['sfu.connectTransport', { transportId: 't', dtlsParameters: { fingerprints: [] } }],
      ['sfu.connectTransport', { transportId: 't', ip: 'localhost', port: 5000 }],
      ['sfu.produce', { transportId: 't', kind: 'audio', rtpParameters: { codecs: [] }, source: 'mic' }],
      ['sfu.produce', { transportId: 't', kind: 'audio', rtpParameters: { codecs: [{ mimeType: 'opus', payloadType: 100, clockRate: 48000 }] }, source: 'mic' }],
      ['sfu.produce', { transportId: 't', kind: 'audio', rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000 }] }, source: 'webcam' }],
      ['sfu.produce', { transportId: 'x'.repeat(65), kind: 'audio', rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000 }] }, source: 'mic' }],
      ['sfu.closeProducer', {}],
      ['sfu.setPreferredLayers', { consumerId: 'c', spatialLayer: 9 }],
      ['sfu.setConsumerPriority', { consumerId: 'c', priority: 256 }],
    ];
    for (const [method, data] of badShapes) {
      const response = await client.request(method, data);
      expect({ method, data, response }).toMatchObject({ response: { ok: false, error: { code: 'bad_request' } } });
    }
    // Still open and answering.
    expect(await client.request('hand.raise')).toMatchObject({ ok: true });
    client.close();
  });
});
