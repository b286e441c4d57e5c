import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A running edge/src/node.ts (the edge under @hono/node-server). */
export interface NodeEdge {
  /** Base URL, e.g. http://127.0.0.1:41234. */
  url: string;
  child: ChildProcess;
  /** What the process wrote to stderr so far. */
  stderr(): string;
}

/**
 * Starts edge/src/node.ts on a free loopback port with `env` added to this process's
 * environment; resolves once it listens (rejects, and kills it, after 20 s or if it
 * exits). Kill `child` when done.
 */
export function spawnNodeEdge(env: Record<string, string>): Promise<NodeEdge> {
  const child = spawn(process.execPath, ['edge/src/node.ts'], {
    cwd: root,
    env: { ...process.env, ...env, EDGE_PORT: '0', EDGE_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let stdout = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node edge did not start: ${stderr}`));
    }, 20_000);
    child.once('exit', (code) => reject(new Error(`node edge exited (${code}): ${stderr}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /"port":(\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${match[1]}`, child, stderr: () => stderr });
      }
    });
  });
}
