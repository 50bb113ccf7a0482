import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import {
  destinationRefusal,
  parseAllowEntry,
  parseOutboundAllow,
  publicOnly,
  requireAllowedUrl,
  urlRefusal,
  type OutboundPolicy,
} from '../../../src/core/outbound/outbound-policy.js';

const policy = (allow: string): OutboundPolicy => {
  const parsed = parseOutboundAllow(allow);
  if ('errors' in parsed) throw new Error(parsed.errors.join('; '));
  return parsed;
};

/** The refusal for connecting to `address` as `host:port` (host: the address itself). */
const refusal = (p: OutboundPolicy, address: string, host = address, port = 443) =>
  destinationRefusal(p, { host, port, address });

describe('outbound policy: which addresses a request to a user’s URL may reach (issue 22)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd00::abcd', 'unique-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::7f00:1', 'IPv4-compatible IPv6'],
    ['64:ff9b::a00:1', 'an IPv4/IPv6 translation address'],
  ])('refuses %s as %s, naming the setting that would allow it', (address, words) => {
    expect(refusal(publicOnly, address)).toBe(
      `refused: ${address} is ${words} (not a public address); allow it with SWITCHBOARD_OUTBOUND_ALLOW`,
    );
  });

  it('decides an IPv4-mapped IPv6 address as the IPv4 address it is', () => {
    expect(refusal(publicOnly, '::ffff:10.0.0.1')).toMatch(/^refused: 10\.0\.0\.1 is private /);
    expect(refusal(publicOnly, '::ffff:7f00:1')).toMatch(/^refused: 127\.0\.0\.1 is loopback /);
    expect(refusal(publicOnly, '::ffff:93.184.216.34')).toBeUndefined();
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111'])(
    'lets the public address %s through',
    (address) => {
      expect(refusal(publicOnly, address)).toBeUndefined();
    },
  );

  it('lets through what the allow list names: a CIDR (any port), an address, a host with or without a port', () => {
    const allowed = policy(
      '127.0.0.1/32, 10.0.0.0/8,::1/128,192.168.1.5:8080,hooks.internal,crm.lan:8443',
    );
    expect(refusal(allowed, '127.0.0.1', '127.0.0.1', 9)).toBeUndefined();
    expect(refusal(allowed, '127.0.0.2')).toMatch(/loopback/);
    expect(refusal(allowed, '10.200.3.4')).toBeUndefined();
    expect(refusal(allowed, '::1')).toBeUndefined();
    expect(refusal(allowed, '::ffff:10.0.0.1')).toBeUndefined();
    expect(refusal(allowed, '192.168.1.5', '192.168.1.5', 8080)).toBeUndefined();
    expect(refusal(allowed, '192.168.1.5', '192.168.1.5', 8081)).toMatch(/private/);
    // A host entry allows the name whatever it resolves to; another name at that address is refused.
    expect(refusal(allowed, '172.16.0.9', 'hooks.internal', 80)).toBeUndefined();
    expect(refusal(allowed, '172.16.0.9', 'HOOKS.internal.', 80)).toBeUndefined();
    expect(refusal(allowed, '172.16.0.9', 'evil.test', 80)).toMatch(/private/);
    expect(refusal(allowed, '172.16.0.10', 'crm.lan', 8443)).toBeUndefined();
    expect(refusal(allowed, '172.16.0.10', 'crm.lan', 443)).toMatch(/private/);
  });

  it('parses allow entries, and says which entry is not one', () => {
    expect(parseAllowEntry('10.0.0.0/8')).toMatchObject({ text: '10.0.0.0/8' });
    expect(parseAllowEntry('[::1]:8080')).toMatchObject({ port: 8080 });
    expect(parseAllowEntry('Hooks.Internal:443')).toMatchObject({
      host: 'hooks.internal',
      port: 443,
    });
    for (const bad of [
      '10.0.0.0/33',
      'not a host',
      'host:0',
      'host:99999',
      '[nope]:80',
      '10.0.0',
      'a:b:c',
    ]) {
      expect(parseAllowEntry(bad)).toEqual(expect.stringContaining(`"${bad}" is not a CIDR`));
    }
    expect(parseOutboundAllow('')).toEqual({ allow: [] });
    expect(parseOutboundAllow(' 127.0.0.1/32 , ,::1/128 ')).toMatchObject({
      allow: [{ text: '127.0.0.1/32' }, { text: '::1/128' }],
    });
    expect(parseOutboundAllow('127.0.0.1/32,10.0.0.0/40,x y')).toEqual({
      errors: [expect.stringContaining('"10.0.0.0/40"'), expect.stringContaining('"x y"')],
    });
  });
});

describe('outbound policy when a URL is saved', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254 is link-local'],
    ['http://127.0.0.1:8080/hook', '127.0.0.1 is loopback'],
    ['http://2130706433/', '127.0.0.1 is loopback'],
    ['http://0x7f.1/', '127.0.0.1 is loopback'],
    ['http://0177.0.0.1/', '127.0.0.1 is loopback'],
    ['https://[::1]/x', '::1 is loopback'],
    ['https://[::ffff:10.0.0.1]/x', '10.0.0.1 is private'],
    ['https://[fd00::1]:8443/x', 'fd00::1 is unique-local'],
    ['http://0.0.0.0/', '0.0.0.0 is unspecified'],
    ['http://localhost:3000/', '127.0.0.1 is loopback'],
    ['http://api.localhost/', '127.0.0.1 is loopback'],
  ])('refuses %s: %s', (url, words) => {
    expect(urlRefusal(publicOnly, url)).toBe(
      `refused: ${words} (not a public address); allow it with SWITCHBOARD_OUTBOUND_ALLOW`,
    );
  });

  it('leaves names to the connection (they are resolved then), and lets public addresses and allowed ones through', () => {
    expect(urlRefusal(publicOnly, 'https://crm.example.com/hook')).toBeUndefined();
    expect(urlRefusal(publicOnly, 'https://93.184.216.34/hook')).toBeUndefined();
    expect(urlRefusal(policy('127.0.0.1/32'), 'http://127.0.0.1:8080/hook')).toBeUndefined();
    expect(urlRefusal(policy('127.0.0.1/32'), 'http://localhost:8080/hook')).toBeUndefined();
    expect(urlRefusal(policy('10.1.2.3:8080'), 'http://10.1.2.3:8080/')).toBeUndefined();
    expect(urlRefusal(policy('10.1.2.3:8080'), 'http://10.1.2.3/')).toMatch(/private/);
    expect(urlRefusal(policy('localhost:3000'), 'http://localhost:3000/')).toBeUndefined();
  });

  it('refuses to store such a URL with invalid_input (422) naming the rule and the field', () => {
    let thrown: unknown;
    try {
      requireAllowedUrl(publicOnly, 'http://169.254.169.254/latest/meta-data', 'body.url');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    const reason =
      'refused: 169.254.169.254 is link-local (not a public address); allow it with SWITCHBOARD_OUTBOUND_ALLOW';
    expect(thrown).toMatchObject({
      code: 'invalid_input',
      message: reason,
      details: [{ path: 'body.url', message: reason }],
    });
    expect(() =>
      requireAllowedUrl(publicOnly, 'https://crm.example.com', 'body.url'),
    ).not.toThrow();
  });
});
