import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one media node (its own registry, so two nodes can share a process). */
export interface MediaMetrics {
  registry: Registry;
  /** Open signaling connections. */
  connections: Gauge;
  /** Open rooms on this node. */
  rooms: Gauge;
  /** Signaling frames received from clients. */
  messagesIn: Counter;
  /** Signaling frames queued for clients. */
  messagesOut: Counter;
  /** Clients disconnected because their send queue overflowed. */
  queueDrops: Counter;
  /** Peers dropped because they missed a pong. */
  heartbeatTimeouts: Counter;
  /** Connections refused at the door, by close code. */
  rejectedConnections: Counter<'code'>;
}

/** Creates the metrics; `defaults` adds process metrics (CPU, RSS, event loop). */
export function createMetrics(options: { defaults?: boolean } = {}): MediaMetrics {
  const registry = new Registry();
  if (options.defaults) collectDefaultMetrics({ register: registry, prefix: 'huddle_media_' });
  const registers = [registry];
  return {
    registry,
    connections: new Gauge({ name: 'huddle_media_connections', help: 'Open signaling connections.', registers }),
    rooms: new Gauge({ name: 'huddle_media_rooms', help: 'Open rooms on this node.', registers }),
    messagesIn: new Counter({ name: 'huddle_media_messages_in_total', help: 'Signaling frames received.', registers }),
    messagesOut: new Counter({ name: 'huddle_media_messages_out_total', help: 'Signaling frames queued for clients.', registers }),
    queueDrops: new Counter({
      name: 'huddle_media_send_queue_drops_total',
      help: 'Clients disconnected (1013) because their send queue overflowed.',
      registers,
    }),
    heartbeatTimeouts: new Counter({
      name: 'huddle_media_heartbeat_timeouts_total',
      help: 'Peers dropped because they did not answer a ping in time.',
      registers,
    }),
    rejectedConnections: new Counter({
      name: 'huddle_media_rejected_connections_total',
      help: 'Connections refused at the door, by WebSocket close code.',
      labelNames: ['code'],
      registers,
    }),
  };
}
