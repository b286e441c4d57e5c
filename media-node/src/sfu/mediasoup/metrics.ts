import { Counter, Gauge, type Registry } from 'prom-client';
import type { WorkerSet } from './workers.ts';

/** Counters the engine feeds as things happen (gauges read the worker set on scrape). */
export interface MediasoupMetrics {
  rtpBytesReceived: Counter<'worker'>;
  rtpBytesSent: Counter<'worker'>;
  workerDeaths: Counter;
}

/**
 * Registers the engine's metrics on the node's registry (`huddle_media_sfu_*`): live
 * workers, and per worker (label `worker` = slot) routers, transports, producers,
 * consumers, CPU % of one core, RTP bytes in and out; worker deaths.
 * @param workers read on every scrape.
 */
export function registerMediasoupMetrics(registry: Registry, workers: () => WorkerSet | undefined): MediasoupMetrics {
  const registers = [registry];
  new Gauge({
    name: 'huddle_media_sfu_workers',
    help: 'Live mediasoup workers.',
    registers,
    collect() {
      this.set(workers()?.live().length ?? 0);
    },
  });
  const perWorker = (name: string, help: string, read: (slot: WorkerSet['slots'][number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['worker'],
      registers,
      collect() {
        this.reset();
        for (const slot of workers()?.live() ?? []) this.set({ worker: String(slot.slot) }, read(slot));
      },
    });
  perWorker('huddle_media_sfu_routers', 'mediasoup routers per worker.', (s) => s.tally.routers);
  perWorker('huddle_media_sfu_transports', 'mediasoup transports per worker (WebRTC, plain, pipe, direct).', (s) => s.tally.transports);
  perWorker('huddle_media_sfu_producers', 'mediasoup producers per worker (including pipe producers).', (s) => s.tally.producers);
  perWorker('huddle_media_sfu_consumers', 'mediasoup consumers per worker (including pipe and audio-tap consumers).', (s) => s.tally.consumers);
  perWorker('huddle_media_sfu_worker_cpu_percent', 'Worker CPU over the last sampling interval, % of one core (getResourceUsage).', (s) => s.cpuPercent);
  return {
    rtpBytesReceived: new Counter({
      name: 'huddle_media_sfu_rtp_bytes_received_total',
      help: 'RTP bytes received from clients on WebRTC and plain transports.',
      labelNames: ['worker'],
      registers,
    }),
    rtpBytesSent: new Counter({
      name: 'huddle_media_sfu_rtp_bytes_sent_total',
      help: 'RTP bytes sent to clients on WebRTC and plain transports.',
      labelNames: ['worker'],
      registers,
    }),
    workerDeaths: new Counter({ name: 'huddle_media_sfu_worker_deaths_total', help: 'mediasoup workers that died.', registers }),
  };
}
