import ipaddr from 'ipaddr.js';
import { AppError } from '../errors.js';

/**
 * Where Switchboard may send requests to URLs its users gave (issue 22, server-side request
 * forgery): webhook subscriptions, webhook channels' replies, a CRM's API. An address is refused
 * when it is not a public unicast address — loopback, private (RFC 1918), unique-local,
 * link-local (cloud metadata), carrier-grade NAT, multicast, unspecified, broadcast, reserved
 * and the IPv6 ranges that embed or tunnel to IPv4 — unless the operator allowed it with
 * `SWITCHBOARD_OUTBOUND_ALLOW`. The one rule serves twice: on the address a connection is
 * about to use (after DNS, so a name that resolves or rebinds to 10.x is refused too; see
 * adapters/http/outbound-guard.ts), and when a URL whose host is a literal address is saved.
 */

/** One entry of the allow list: a range of addresses, or a host name, either with a port. */
export type AllowEntry =
  | {
      readonly text: string;
      readonly range: [ipaddr.IPv4 | ipaddr.IPv6, number];
      readonly port?: number;
    }
  | { readonly text: string; readonly host: string; readonly port?: number };

/** The operator's allow list; empty: public addresses only. */
export interface OutboundPolicy {
  readonly allow: readonly AllowEntry[];
}

export const publicOnly: OutboundPolicy = Object.freeze({ allow: Object.freeze([]) });

/** The setting that allows more; named in every refusal so the operator knows what to change. */
export const allowSetting = 'SWITCHBOARD_OUTBOUND_ALLOW';

/** A connection the policy refuses: it will be refused every time, so it is never retried. */
export class OutboundRefused extends AppError {
  constructor(readonly reason: string) {
    super('invalid_input', reason);
  }
}

const hostName =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

const portOf = (text: string): number | undefined => {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
};

/** A literal address (dotted quad or IPv6), IPv4-mapped IPv6 as IPv4; undefined otherwise. */
function literalAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text)) {
    return ipaddr.process(text);
  }
  return undefined;
}

/**
 * One allow-list entry: a CIDR (`10.0.0.0/8`, `::1/128`), an address (`127.0.0.1`, `::1`,
 * `[::1]:8080`, `127.0.0.1:8080`) or a host with an optional port (`hooks.internal:8443`).
 * A string says why the entry is not one.
 */
export function parseAllowEntry(text: string): AllowEntry | string {
  const bad = `"${text}" is not a CIDR (like 10.0.0.0/8 or ::1/128), an address or a host[:port]`;
  if (text.includes('/')) {
    if (!ipaddr.isValidCIDR(text)) return bad;
    const [address, bits] = ipaddr.parseCIDR(text);
    return { text, range: [address, bits] };
  }
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  const [name, portText] = bracketed
    ? [bracketed[1] ?? '', bracketed[2]]
    : text.split(':').length === 2
      ? (text.split(':') as [string, string])
      : [text, undefined];
  const port = portText === undefined ? undefined : portOf(portText);
  if (portText !== undefined && port === undefined) return `${bad}: the port must be 1 to 65535`;
  const withPort = port === undefined ? {} : { port };
  const address = literalAddress(name);
  if (address) return { text, range: [address, address.kind() === 'ipv4' ? 32 : 128], ...withPort };
  if (bracketed) return bad;
  const host = name.toLowerCase().replace(/\.$/, '');
  if (!hostName.test(host) || /^[\d.]+$/.test(host)) return bad;
  return { text, host, ...withPort };
}

/** `SWITCHBOARD_OUTBOUND_ALLOW`, comma-separated; every entry must parse (see `parseAllowEntry`). */
export function parseOutboundAllow(
  value: string | undefined,
): OutboundPolicy | { errors: string[] } {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map(parseAllowEntry);
  const errors = entries.filter((e): e is string => typeof e === 'string');
  if (errors.length) return { errors };
  return Object.freeze({ allow: Object.freeze(entries as AllowEntry[]) });
}

/** How a refusal names each range (ipaddr.js's names). */
const rangeWords: Partial<Record<string, string>> = {
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local',
  multicast: 'multicast',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  carrierGradeNat: 'carrier-grade NAT',
  reserved: 'reserved',
  ipv4Compatible: 'IPv4-compatible IPv6',
  rfc6052: 'an IPv4/IPv6 translation address',
  rfc6145: 'an IPv4/IPv6 translation address',
  '6to4': 'a 6to4 tunnel address',
  teredo: 'a Teredo tunnel address',
  deprecatedSiteLocal: 'site-local',
};

/** The ipaddr.js range of an address; `::/8` (IPv4-compatible, reserved) is not public either. */
function rangeOf(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  const range = address.range();
  if (range === 'unicast' && address.kind() === 'ipv6' && address.toByteArray()[0] === 0) {
    return 'ipv4Compatible';
  }
  return range;
}

function allows(
  entry: AllowEntry,
  target: { host: string; port: number; address: ipaddr.IPv4 | ipaddr.IPv6 },
): boolean {
  if (entry.port !== undefined && entry.port !== target.port) return false;
  if ('host' in entry) return entry.host === target.host;
  const [range, bits] = entry.range;
  return range.kind() === target.address.kind() && target.address.match(range, bits);
}

/**
 * The rule: why a connection to `address` (for `host`:`port`) is refused, or undefined when it
 * may go — a public unicast address, or one the allow list names (by range or by host).
 */
export function destinationRefusal(
  policy: OutboundPolicy,
  target: { host: string; port: number; address: string },
): string | undefined {
  const address = ipaddr.process(target.address.replace(/^\[|\]$/g, ''));
  const host = target.host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (policy.allow.some((entry) => allows(entry, { host, port: target.port, address }))) {
    return undefined;
  }
  const range = rangeOf(address);
  if (range === 'unicast') return undefined;
  return `refused: ${address.toString()} is ${rangeWords[range] ?? range} (not a public address); allow it with ${allowSetting}`;
}

/**
 * The rule at save time, where nothing is resolved: a URL whose host is a literal address
 * (WHATWG URL normalises `2130706433` and `0x7f.1` to 127.0.0.1) or `localhost` (which always
 * means loopback, RFC 6761) is refused unless allowed. Any other name is checked when connecting.
 */
export function urlRefusal(policy: OutboundPolicy, url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined; // not a URL: the schema says so
  }
  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  const port = Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80);
  const bare = host.replace(/^\[|\]$/g, '');
  const address =
    literalAddress(bare)?.toString() ??
    (host === 'localhost' || host.endsWith('.localhost') ? '127.0.0.1' : undefined);
  return address === undefined ? undefined : destinationRefusal(policy, { host, port, address });
}

/** Refuses (422, naming the rule) to store a URL the policy would refuse to connect to. */
export function requireAllowedUrl(policy: OutboundPolicy, url: string, path: string): void {
  const reason = urlRefusal(policy, url);
  if (reason) throw new AppError('invalid_input', reason, { details: [{ path, message: reason }] });
}
