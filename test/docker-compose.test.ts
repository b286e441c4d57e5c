import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

// No Docker engine runs here, so the stack's promises are checked on the file itself.
const root = fileURLToPath(new URL('..', import.meta.url));
const compose = parse(readFileSync(`${root}/docker-compose.yml`, 'utf8'), { merge: true }) as ComposeFile;
const dockerfile = readFileSync(`${root}/Dockerfile`, 'utf8');

interface Service {
  image?: string;
  build?: { context: string; target?: string };
  ports?: string[];
  networks?: string[];
  healthcheck?: { test: string[] | string; interval?: string; retries?: number };
  depends_on?: Record<string, { condition: string }> | string[];
  environment?: Record<string, string>;
}
interface ComposeFile {
  services: Record<string, Service>;
  networks: Record<string, { internal?: boolean } | null>;
}

const services = Object.entries(compose.services);
const publicFacing = new Set(['edge', 'media-node', 'livekit']);
const apps = ['edge', 'media-node'];
const dataStores = ['postgres', 'redis', 'mongodb', 'upstash-gateway'];

describe('docker-compose.yml', () => {
  it('runs the whole stack', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['edge', 'livekit', 'media-node', 'mongodb', 'postgres', 'redis', 'transcriber', 'upstash-gateway'].sort(),
    );
  });

  it.each(services)('%s has a healthcheck that runs a real probe', (_name, service) => {
    const test = service.healthcheck?.test;
    expect(Array.isArray(test) ? test.join(' ') : test).toMatch(
      /pg_isready|redis-cli|mongosh|curl -fsS http:\/\/127\.0\.0\.1:\d+\/(health|ready)|wget -q -O - http:\/\/127\.0\.0\.1:7880\//,
    );
    expect(service.healthcheck?.interval).toBeDefined();
    expect(service.healthcheck?.retries).toBeGreaterThan(0);
  });

  it.each(services)('%s waits for its dependencies to be healthy', (_name, service) => {
    const deps = service.depends_on ?? {};
    expect(Array.isArray(deps), 'short-form depends_on does not wait for health').toBe(false);
    for (const [dep, rule] of Object.entries(deps)) {
      expect(compose.services[dep], `unknown dependency ${dep}`).toBeDefined();
      expect(rule.condition).toBe('service_healthy');
    }
  });

  it('puts every dependency of an app service in its depends_on', () => {
    expect(Object.keys(compose.services['media-node']?.depends_on ?? {})).toEqual(
      expect.arrayContaining(['postgres', 'redis', 'mongodb']),
    );
    expect(Object.keys(compose.services.edge?.depends_on ?? {})).toEqual(
      expect.arrayContaining(['postgres', 'upstash-gateway']),
    );
    expect(Object.keys(compose.services['upstash-gateway']?.depends_on ?? {})).toEqual(['redis']);
    expect(Object.keys(compose.services['media-node']?.depends_on ?? {})).toContain('livekit');
    expect(Object.keys(compose.services.livekit?.depends_on ?? {})).toEqual(['redis']);
  });

  it('keeps the databases off the public network', () => {
    expect(compose.networks.data?.internal).toBe(true);
    expect(compose.networks.public?.internal ?? false).toBe(false);
    for (const name of dataStores) {
      const service = compose.services[name];
      expect(service?.networks, name).toEqual(['data']);
    }
  });

  it('publishes ports only for edge and media-node', () => {
    for (const [name, service] of services) {
      if (publicFacing.has(name)) {
        expect(service.ports?.length, name).toBeGreaterThan(0);
        expect(service.networks, name).toContain('public');
      } else {
        expect(service.ports, name).toBeUndefined();
      }
    }
  });

  it('points the apps at the services by their compose names', () => {
    for (const name of apps) {
      const env = compose.services[name]?.environment ?? {};
      expect(env.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(env.REDIS_URL).toBe('redis://redis:6379');
      expect(env.MONGODB_URL).toMatch(/^mongodb:\/\/mongodb:27017\//);
      expect(env.UPSTASH_REDIS_REST_URL).toBe('http://upstash-gateway:8079');
    }
  });

  it('runs the official livekit-server image with the project key pair, webhooks to the media node, no public STUN', () => {
    const livekit = compose.services.livekit!;
    expect(livekit.image).toBe('livekit/livekit-server:v1.13.5');
    const mediaEnv = compose.services['media-node']?.environment ?? {};
    expect(mediaEnv.LIVEKIT_URL).toBe('http://livekit:7880');
    expect(mediaEnv.LIVEKIT_PUBLIC_URL).toBe('ws://localhost:7880');
    const [key, secret] = (livekit.environment?.LIVEKIT_KEYS ?? '').split(': ');
    expect(key).toBe(mediaEnv.LIVEKIT_API_KEY);
    expect(secret).toBe(mediaEnv.LIVEKIT_API_SECRET);
    // Published on loopback only: media and signal.
    expect(livekit.ports).toEqual(['127.0.0.1:7880:7880', '127.0.0.1:7882:7882/udp']);
    const mount = (livekit as { volumes?: string[] }).volumes?.[0] ?? '';
    const config = parse(readFileSync(`${root}/${mount.split(':')[0]}`, 'utf8')) as Record<string, any>;
    expect(config.webhook).toEqual({ api_key: key, urls: ['http://media-node:4000/webhooks/livekit'] });
    expect(config.rtc).toMatchObject({ tcp_port: 0, use_external_ip: false, node_ip: '127.0.0.1', udp_port: 7882 });
    expect(config.rtc.stun_servers.every((s: string) => s.startsWith('127.'))).toBe(true);
    expect(config.redis.address).toBe('redis:6379');
  });

  it('runs the edge on the Node adapter, trusting client addresses only from configured proxies', () => {
    const edgeTarget = /FROM source AS edge\n([\s\S]*?)(?=\nFROM |$)/.exec(dockerfile)?.[1] ?? '';
    expect(edgeTarget).toMatch(/^CMD \["node", "edge\/src\/node\.ts"\]$/m);
    expect(edgeTarget).not.toMatch(/wrangler/);
    const env = compose.services.edge?.environment ?? {};
    expect(env).toHaveProperty('EDGE_TRUSTED_PROXIES');
    expect(env).not.toHaveProperty('EDGE_TRUST_PROXY');
    expect(env.DATABASE_URL).toMatch(/@postgres:5432\//);
  });

  it('runs the REST gateway from its own workspace', () => {
    expect(compose.services['upstash-gateway']?.build?.target).toBe('gateway');
    expect(dockerfile).toMatch(/^COPY gateway gateway$/m);
    expect(dockerfile).toMatch(/FROM source AS gateway[\s\S]*?CMD \["node", "gateway\/src\/main\.ts"\]/);
  });

  it('builds every app service from a target the Dockerfile defines', () => {
    for (const [name, service] of services) {
      if (!service.build) {
        expect(service.image, name).toMatch(/^[a-z0-9./_-]+:[\w.-]+$/);
        continue;
      }
      expect(service.build.target, name).toBeDefined();
      expect(dockerfile).toMatch(new RegExp(`^FROM \\S+ AS ${service.build.target}$`, 'm'));
    }
  });
});
