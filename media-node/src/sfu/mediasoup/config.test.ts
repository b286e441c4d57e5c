import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadMediasoupConfig } from './config.ts';

describe('loadMediasoupConfig', () => {
  it('defaults to one worker per CPU on loopback, plain transports off', () => {
    const config = loadMediasoupConfig({});
    expect(config).toMatchObject({
      workers: availableParallelism(),
      listenIp: '127.0.0.1',
      portBase: 44_444,
      allowPlainTransports: false,
      logLevel: 'warn',
      maxOutgoingBitrate: undefined,
    });
  });

  it('reads every variable', () => {
    const config = loadMediasoupConfig({
      MEDIASOUP_WORKER_BIN: '/opt/w',
      MEDIASOUP_WORKERS: '3',
      MEDIASOUP_LISTEN_IP: '10.0.0.5',
      MEDIASOUP_ANNOUNCED_ADDRESS: 'media.example.org',
      MEDIASOUP_PORT_BASE: '50000',
      MEDIASOUP_ROUTER_CONSUMERS_MAX: '250',
      MEDIASOUP_MAX_INCOMING_BITRATE: '2000000',
      MEDIASOUP_MAX_OUTGOING_BITRATE: '3000000',
      MEDIASOUP_ALLOW_PLAIN_TRANSPORTS: 'true',
      MEDIASOUP_LOG_LEVEL: 'error',
    });
    expect(config).toMatchObject({
      workerBin: '/opt/w',
      workers: 3,
      listenIp: '10.0.0.5',
      announcedAddress: 'media.example.org',
      portBase: 50_000,
      routerConsumersMax: 250,
      maxIncomingBitrate: 2_000_000,
      maxOutgoingBitrate: 3_000_000,
      allowPlainTransports: true,
      logLevel: 'error',
    });
  });

  it('names every bad variable', () => {
    expect(() =>
      loadMediasoupConfig({ MEDIASOUP_WORKERS: '0', MEDIASOUP_LISTEN_IP: 'localhost', MEDIASOUP_ALLOW_PLAIN_TRANSPORTS: 'yes' }),
    ).toThrow(/MEDIASOUP_WORKERS.*MEDIASOUP_LISTEN_IP.*MEDIASOUP_ALLOW_PLAIN_TRANSPORTS/);
    expect(() => loadMediasoupConfig({ MEDIASOUP_PORT_BASE: '65535', MEDIASOUP_WORKERS: '2' })).toThrow(/MEDIASOUP_PORT_BASE/);
  });
});
