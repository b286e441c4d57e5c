import type { Command } from './command.ts';

// All requests share one Redis connection: a command that blocks it, or that changes
// its state (database, protocol, auth, transaction, pub/sub mode), would affect every
// other caller, so the gateway refuses it up front.
const BLOCKING = new Set([
  'BLPOP', 'BRPOP', 'BRPOPLPUSH', 'BLMOVE', 'BLMPOP', 'BZPOPMIN', 'BZPOPMAX', 'BZMPOP', 'WAIT', 'WAITAOF',
]);
const CONNECTION_STATE = new Set([
  'SELECT', 'SWAPDB', 'QUIT', 'RESET', 'AUTH', 'HELLO', 'MULTI', 'EXEC', 'DISCARD', 'WATCH', 'UNWATCH',
  'READONLY', 'READWRITE', 'MONITOR', 'SYNC', 'PSYNC', 'REPLCONF',
]);
const PUBSUB = new Set(['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE']);
// CLIENT subcommands that only read; the rest change or kill connections (ours included).
const CLIENT_READ_ONLY = new Set(['ID', 'INFO', 'LIST', 'GETNAME', 'HELP']);

/**
 * Returns why the gateway refuses `command` (blocking, connection-state or pub/sub
 * commands), or `undefined` when it may run.
 */
export function refusalReason(command: Command): string | undefined {
  const name = String(command[0]).toUpperCase();
  const refuse = (why: string): string => `ERR ${name} is not supported by the REST gateway: ${why}`;
  if (BLOCKING.has(name)) {
    return refuse('blocking commands would stall the Redis connection shared by all requests');
  }
  if ((name === 'XREAD' || name === 'XREADGROUP') && hasBlockOption(command)) {
    return refuse('the BLOCK option would stall the Redis connection shared by all requests; poll without BLOCK');
  }
  if (PUBSUB.has(name)) {
    return refuse('pub/sub needs a dedicated connection; use PUBLISH here and subscribe elsewhere');
  }
  if (CONNECTION_STATE.has(name)) {
    return refuse(
      name === 'MULTI' || name === 'EXEC' || name === 'DISCARD'
        ? 'send the commands to /multi-exec to run them as one transaction'
        : 'it changes the state of the Redis connection shared by all requests',
    );
  }
  if (name === 'CLIENT' && !CLIENT_READ_ONLY.has(String(command[1] ?? '').toUpperCase())) {
    return refuse(`only CLIENT ${[...CLIENT_READ_ONLY].join('|')} are allowed on the shared connection`);
  }
  return undefined;
}

/** XREAD/XREADGROUP options come before STREAMS; GROUP and COUNT take operands to skip. */
function hasBlockOption(command: Command): boolean {
  for (let i = 1; i < command.length; i++) {
    const word = String(command[i]).toUpperCase();
    if (word === 'STREAMS') return false;
    if (word === 'BLOCK') return true;
    if (word === 'GROUP') i += 2;
    else if (word === 'COUNT') i += 1;
  }
  return false;
}
