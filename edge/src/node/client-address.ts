import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/** Decides whether a hop (an address in the chain, index from the socket outwards) is a proxy we run. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * Parses EDGE_TRUSTED_PROXIES: a comma-separated list of addresses, CIDR blocks or the
 * names `loopback`, `linklocal`, `uniquelocal` (proxy-addr's syntax), e.g.
 * `10.0.0.0/8,loopback`. Empty or unset: no proxy is trusted, the socket's peer is the
 * client. Throws on anything proxy-addr cannot parse, so a typo fails at start-up
 * instead of trusting the wrong hop.
 */
export function parseTrustedProxies(value: string | undefined): ProxyTrust {
  const entries = (value ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) return () => false;
  try {
    return proxyAddr.compile(entries);
  } catch (error) {
    throw new Error(`EDGE_TRUSTED_PROXIES: ${(error as Error).message} (got "${value}")`);
  }
}

/**
 * The client's address: the socket's peer, unless that peer is a trusted proxy — then
 * X-Forwarded-For is read from the right, skipping trusted proxies, and the first hop
 * that is not one of ours is the client (everything left of it was written by the
 * client and proves nothing). CF-Connecting-IP and other client-sent headers are never
 * believed here. `undefined` when the socket is already gone.
 */
export function clientAddressOf(incoming: IncomingMessage, trust: ProxyTrust): string | undefined {
  if (!incoming.socket.remoteAddress) return undefined;
  return proxyAddr(incoming, trust);
}
