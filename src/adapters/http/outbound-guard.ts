import dns from 'node:dns/promises';
import net from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import {
  destinationRefusal,
  OutboundRefused,
  type OutboundPolicy,
} from '../../core/outbound/outbound-policy.js';

/**
 * The HTTP client for URLs users gave (webhook subscriptions, webhook channels' replies, a
 * CRM's API): an undici `Agent` whose connector resolves the host itself, decides each answer
 * with the policy (`destinationRefusal`) and connects to the address it decided on — never
 * resolving twice, so a name that answers a public address to a check and a private one to
 * the connection (DNS rebinding) gains nothing. If any answer is refused, the connection is:
 * an attacker's name cannot slip a private address in among public ones. Redirects are never
 * followed: a 3xx is the answer.
 *
 * A refusal rejects with `OutboundRefused` (core), which callers tell apart from a receiver
 * that is down: it will be refused every time, so it is not retried.
 */

/** Resolves a host name to its addresses (`dns.lookup` by default; tests map names themselves). */
export type Lookup = (hostname: string) => Promise<ReadonlyArray<{ address: string }>>;

const systemLookup: Lookup = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

export interface OutboundGuard {
  readonly policy: OutboundPolicy;
  /** `fetch` through the guarded agent, `redirect: 'manual'`. */
  readonly fetch: typeof fetch;
  close(): Promise<void>;
}

export function createOutboundGuard(
  policy: OutboundPolicy,
  options: { lookup?: Lookup; connectTimeoutMs?: number } = {},
): OutboundGuard {
  const lookup = options.lookup ?? systemLookup;
  const connect = buildConnector({ timeout: options.connectTimeoutMs ?? 10_000 });
  /** The address to connect to for `hostname`:`port`; rejects with `OutboundRefused`. */
  async function decide(hostname: string, port: number): Promise<string> {
    // An address is decided as it is; a name by every address it resolves to.
    const answers = net.isIP(hostname) ? [{ address: hostname }] : await lookup(hostname);
    const first = answers[0];
    if (!first) throw new Error(`${hostname} has no address`);
    for (const { address } of answers) {
      const reason = destinationRefusal(policy, { host: hostname, port, address });
      if (reason) throw new OutboundRefused(reason);
    }
    return first.address;
  }
  const agent = new Agent({
    connect(target, callback) {
      const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
      // The name stays the TLS server name (SNI and the certificate check); the socket goes to
      // the address just decided on.
      const servername = target.servername ?? serverName(target.hostname);
      decide(target.hostname, port).then(
        (address) =>
          connect(
            { ...target, hostname: address, ...(servername ? { servername } : {}) },
            callback,
          ),
        (error: unknown) =>
          callback(error instanceof Error ? error : new Error(String(error)), null),
      );
    },
  });
  const guardedFetch = (input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as string | URL, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
      redirect: 'manual',
    });
  return {
    policy,
    fetch: guardedFetch,
    close: () => agent.close(),
  };
}

/** A host name is a TLS server name; an address is not. */
const serverName = (hostname: string) => (net.isIP(hostname) ? undefined : hostname);

/** The policy's refusal behind a failed request (undici wraps it as the `cause`), if that is why. */
export function outboundRefusalOf(error: unknown): OutboundRefused | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as Error).cause, depth++) {
    if (e instanceof OutboundRefused) return e;
  }
  return undefined;
}
