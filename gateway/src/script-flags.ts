import { createHash } from 'node:crypto';
import type { Command } from './command.ts';

// Upstash accepts Lua shebang flags that Redis does not know. @upstash/ratelimit ≥ 2.2
// starts its scripts with `#!lua flags=allow-key-locking` (on Upstash: lock only the
// declared keys instead of the whole database); Redis 7 refuses the whole script with
// "Unexpected flag in script shebang". Plain Redis runs every script atomically anyway,
// which is the stricter behaviour the flag relaxes, so the gateway drops such flags
// before Redis sees the script. The text then has another SHA1, so the SHA a client
// computed over the original text (EVALSHA, SCRIPT EXISTS; SCRIPT LOAD answers with it)
// is mapped to the SHA of the script Redis actually holds.

/** Flags Upstash understands and Redis does not; removed from shebangs. */
export const UPSTASH_ONLY_SCRIPT_FLAGS: ReadonlySet<string> = new Set(['allow-key-locking']);

/** Most client→Redis SHA pairs remembered (a client falls back to EVAL on NOSCRIPT anyway). */
const MAX_MAPPED_SCRIPTS = 10_000;

const sha1 = (text: string): string => createHash('sha1').update(text, 'utf8').digest('hex');

/** A command as Redis should see it, and how to turn Redis's reply back into the client's. */
export interface TranslatedCommand {
  command: Command;
  mapReply?: (reply: unknown) => unknown;
}

/**
 * The text with Upstash-only flags removed from its `#!lua flags=...` first line, or
 * undefined when there is nothing to remove.
 */
export function stripUpstashOnlyFlags(script: string): string | undefined {
  const match = /^#!(\S+)([^\n]*)/.exec(script);
  if (!match) return undefined;
  const options = match[2]!.trim().split(/\s+/).filter(Boolean);
  let changed = false;
  const kept = options.map((option) => {
    if (!option.startsWith('flags=')) return option;
    const flags = option.slice('flags='.length).split(',').filter(Boolean);
    const known = flags.filter((flag) => !UPSTASH_ONLY_SCRIPT_FLAGS.has(flag));
    if (known.length === flags.length) return option;
    changed = true;
    return known.length > 0 ? `flags=${known.join(',')}` : '';
  });
  if (!changed) return undefined;
  const line = [`#!${match[1]}`, ...kept.filter(Boolean)].join(' ');
  return line + script.slice(match[0].length);
}

/** Rewrites script commands for Redis; one per gateway (it remembers SHA pairs). */
export class ScriptTranslator {
  readonly #redisSha = new Map<string, string>();

  /** `command` as Redis should run it (unchanged unless it carries or names a rewritten script). */
  translate(command: Command): TranslatedCommand {
    const name = String(command[0]).toUpperCase();
    if ((name === 'EVAL' || name === 'EVAL_RO') && command.length > 1) {
      const stripped = this.#strip(String(command[1]));
      return stripped === undefined ? { command } : { command: [command[0]!, stripped.text, ...command.slice(2)] };
    }
    if ((name === 'EVALSHA' || name === 'EVALSHA_RO') && command.length > 1) {
      const mapped = this.#redisSha.get(String(command[1]).toLowerCase());
      return mapped === undefined ? { command } : { command: [command[0]!, mapped, ...command.slice(2)] };
    }
    if (name === 'SCRIPT' && command.length > 2) {
      const sub = String(command[1]).toUpperCase();
      if (sub === 'LOAD') {
        const stripped = this.#strip(String(command[2]));
        if (stripped === undefined) return { command };
        const clientSha = stripped.clientSha;
        return { command: [command[0]!, command[1]!, stripped.text], mapReply: (reply) => (isText(reply) ? Buffer.from(clientSha) : reply) };
      }
      if (sub === 'EXISTS') {
        return { command: command.map((arg, i) => (i < 2 ? arg : (this.#redisSha.get(String(arg).toLowerCase()) ?? arg))) };
      }
    }
    return { command };
  }

  #strip(script: string): { text: string; clientSha: string } | undefined {
    const text = stripUpstashOnlyFlags(script);
    if (text === undefined) return undefined;
    const clientSha = sha1(script);
    if (!this.#redisSha.has(clientSha)) {
      if (this.#redisSha.size >= MAX_MAPPED_SCRIPTS) this.#redisSha.delete(this.#redisSha.keys().next().value!);
      this.#redisSha.set(clientSha, sha1(text));
    }
    return { text, clientSha };
  }
}

const isText = (reply: unknown): boolean => Buffer.isBuffer(reply) || typeof reply === 'string';
