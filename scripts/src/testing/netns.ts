// A network namespace of a test's own, so that WebRTC traffic in tests never touches
// this machine's interface addresses: `lo` plus one veth pair on a private /30
// (host end 10.a.b.1, namespace end 10.a.b.2), no default route out of the namespace.
// Processes started with `spawn` run inside it (`ip netns exec`). Needs root and
// iproute2; `netnsSkipReason()` says why not, for a one-line test skip.
//
//   const ns = await createNetns();
//   const child = ns.spawn(process.execPath, ['runner.ts']);   // sees only lo + veth
//   ... reach it from the host at ns.nsIp; it reaches the host at ns.hostIp ...
//   await ns.close();   // kills what it spawned, deletes the namespace and the veth
import { type ChildProcess, execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A namespace made by `createNetns`. */
export interface Netns {
  /** Namespace name: `huddle-<creator pid>-<hex>`. */
  readonly name: string;
  /** Address of the host end of the veth pair (the host reaches the namespace through it). */
  readonly hostIp: string;
  /** Address of the namespace end: what servers inside listen on. */
  readonly nsIp: string;
  /** Name of the host end of the veth pair. */
  readonly hostInterface: string;
  /**
   * Runs `command args` inside the namespace (`ip netns exec <name> command args`).
   * The process is killed by `close()`. Options as for child_process.spawn.
   */
  spawn(command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Kills the spawned processes (TERM, then KILL after 2 s), deletes namespace and veth. Idempotent. */
  close(): Promise<void>;
}

const live = new Set<{ name: string; hostInterface: string; children: Set<ChildProcess> }>();
let exitHookInstalled = false;

/**
 * Why this machine cannot make namespaces (not root, no `ip netns`), or undefined when
 * it can. Tests print this as their one skip line.
 */
export function netnsSkipReason(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (ip netns add)';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore', timeout: 5_000 });
  } catch (error) {
    return `iproute2's "ip netns" does not work here: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}

/**
 * Creates a namespace with `lo` up and a veth pair on a fresh 10.a.b.0/30 (a, b random,
 * chosen so that no interface of the host already has an address in it). Namespaces of
 * earlier runs whose creating process is gone are deleted first.
 * Throws when `ip` fails (call `netnsSkipReason()` first to skip cleanly).
 */
export async function createNetns(): Promise<Netns> {
  await sweepStaleNamespaces();
  const id = randomBytes(4).toString('hex');
  const name = `huddle-${process.pid}-${id}`;
  // Interface names are limited to 15 characters.
  const hostInterface = `hv${id}h`;
  const nsInterface = `hv${id}n`;
  const subnet = await freeSubnet();
  const hostIp = `${subnet}.1`;
  const nsIp = `${subnet}.2`;
  const entry = { name, hostInterface, children: new Set<ChildProcess>() };
  live.add(entry);
  installExitHook();
  try {
    await ip('netns', 'add', name);
    await ip('-n', name, 'link', 'set', 'lo', 'up');
    await ip('link', 'add', hostInterface, 'type', 'veth', 'peer', 'name', nsInterface, 'netns', name);
    await ip('addr', 'add', `${hostIp}/30`, 'dev', hostInterface);
    await ip('link', 'set', hostInterface, 'up');
    await ip('-n', name, 'addr', 'add', `${nsIp}/30`, 'dev', nsInterface);
    await ip('-n', name, 'link', 'set', nsInterface, 'up');
  } catch (error) {
    destroySync(entry);
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    name,
    hostIp,
    nsIp,
    hostInterface,
    spawn(command, args, options = {}) {
      const child = spawn('ip', ['netns', 'exec', name, command, ...args], options);
      entry.children.add(child);
      child.once('exit', () => entry.children.delete(child));
      return child;
    },
    close() {
      closing ??= (async () => {
        await killChildren(entry.children);
        destroySync(entry);
      })();
      return closing;
    },
  };
}

async function ip(...args: string[]): Promise<string> {
  const { stdout } = await run('ip', args, { timeout: 10_000 });
  return stdout;
}

/** A 10.a.b prefix no host interface uses (a in 200–249: away from common 10.0–10.x LANs). */
async function freeSubnet(): Promise<string> {
  const used = await ip('-o', '-4', 'addr', 'show');
  for (let attempt = 0; attempt < 50; attempt++) {
    const [a, b] = randomBytes(2);
    const prefix = `10.${200 + ((a ?? 0) % 50)}.${b ?? 0}`;
    if (!used.includes(` ${prefix}.`)) return prefix;
  }
  throw new Error('no free 10.x.y.0/30 subnet found for a test namespace');
}

async function killChildren(children: Set<ChildProcess>): Promise<void> {
  const waits = [...children].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
        }, 2_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  );
  await Promise.all(waits);
}

/** Kills whatever still runs in the namespace, then deletes it and the veth (synchronously: also used on exit). */
function destroySync(entry: { name: string; hostInterface: string; children: Set<ChildProcess> }): void {
  live.delete(entry);
  for (const child of entry.children) child.kill('SIGKILL');
  deleteNamespaceSync(entry.name);
  try {
    execFileSync('ip', ['link', 'del', entry.hostInterface], { stdio: 'ignore', timeout: 5_000 });
  } catch {
    // Already gone with the namespace (deleting one end of a veth pair deletes both).
  }
}

function deleteNamespaceSync(name: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 5_000 })
      .split(/\s+/)
      .filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    // no such namespace
  }
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 5_000 });
  } catch {
    // already deleted
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const entry of [...live]) destroySync(entry);
  });
}

/** Deletes `huddle-<pid>-<hex>` namespaces whose creating process no longer exists (a crashed run). */
async function sweepStaleNamespaces(): Promise<void> {
  let list: string;
  try {
    list = await ip('netns', 'list');
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const match = /^(huddle-(\d+)-([0-9a-f]{8}))\b/.exec(line.trim());
    if (!match) continue;
    const [, name, pid, id] = match;
    if (Number(pid) === process.pid || processAlive(Number(pid))) continue;
    destroySync({ name: name!, hostInterface: `hv${id}h`, children: new Set() });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
