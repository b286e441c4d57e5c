import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { freePort } from '../src/testing/ports.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Drives scripts/services.sh for real, one service (Redis) in a throwaway data
// directory on a free port, so it never touches the services the suite runs on.
const script = fileURLToPath(new URL('../services.sh', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'huddle-services-'));

interface RunResult {
  code: number | null;
  stderr: string;
}

function runServices(args: string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // Drop URLs inherited from the suite's own environment: they name the main ports.
    const { REDIS_URL: _redisUrl, ...inherited } = process.env;
    const child = spawn('bash', [script, ...args], {
      env: { ...inherited, HUDDLE_DATA_DIR: dataDir, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}


function redisPing(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      resolve(data.toString().trim());
      socket.end();
    });
    socket.once('error', reject);
  });
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('scripts/services.sh', () => {
  it('fails with a clear message when the port is taken by another process', async () => {
    const squatter = createServer();
    const port = await listen(squatter);
    try {
      const result = await runServices(['up', 'redis'], { HUDDLE_REDIS_PORT: String(port) });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Redis cannot start: port ${port} on 127.0.0.1 is taken`);
    } finally {
      squatter.close();
    }
  });

  it('rejects an unknown service name', async () => {
    const result = await runServices(['up', 'mysql'], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("unknown service 'mysql'");
  });

  it('starts a service, is idempotent, and stops it', async () => {
    const port = await freePort();
    const env = { HUDDLE_REDIS_PORT: String(port) };
    try {
      const first = await runServices(['up', 'redis'], env);
      expect(first.stderr).toMatch(new RegExp(`Redis\\s+up\\s+redis://127\\.0\\.0\\.1:${port}`));
      expect(first.code).toBe(0);
      expect(await redisPing(port)).toBe('+PONG');

      const second = await runServices(['up', 'redis'], env);
      expect(second.code).toBe(0);
      expect(second.stderr).toContain('Redis already running');
    } finally {
      const stopped = await runServices(['down', 'redis'], env);
      expect(stopped.code).toBe(0);
    }
    await expect(redisPing(port)).rejects.toThrow(/ECONNREFUSED/);
  });
});
