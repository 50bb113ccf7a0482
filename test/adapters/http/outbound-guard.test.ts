import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peopleCache, pipedrivePeople } from '../../../src/adapters/crm/pipedrive-api.js';
import { createOutboundGuard } from '../../../src/adapters/http/outbound-guard.js';
import { postSigned } from '../../../src/adapters/http/post-signed.js';
import { OutboundRefused, publicOnly } from '../../../src/core/outbound/outbound-policy.js';
import { outboundPolicy } from '../../support/api.js';
import { closingReceiver, scriptedLookup } from '../../support/outbound.js';

/**
 * The outbound guard on real sockets: the address a connection uses is decided after DNS (a
 * lookup the test controls), so a name resolving — or rebinding — to a non-public address is
 * refused and nothing reaches the receiver; redirects are not followed; the allow list lets a
 * local receiver through.
 */

async function refusalOf(work: Promise<unknown>): Promise<OutboundRefused> {
  try {
    await work;
  } catch (error) {
    expect(error).toBeInstanceOf(OutboundRefused);
    return error as OutboundRefused;
  }
  throw new Error('expected a refusal');
}

describe('outbound guard (issue 22): refused at connection time, after DNS', () => {
  let ok: Awaited<ReturnType<typeof closingReceiver>>;
  beforeAll(async () => {
    ok = await closingReceiver();
  });
  afterAll(() => ok.close());

  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['::ffff:192.168.0.7', 'private'],
  ])(
    'a name resolving to %s (%s) is refused; the receiver gets nothing',
    async (address, words) => {
      const lookup = scriptedLookup({ 'evil.test': [[address]] });
      const guard = createOutboundGuard(publicOnly, { lookup });
      try {
        const refused = await refusalOf(
          postSigned(guard, `http://evil.test:${ok.port}/hook`, 'secret', '{}'),
        );
        expect(refused.reason).toMatch(
          new RegExp(
            `^refused: \\S+ is ${words} \\(not a public address\\); allow it with SWITCHBOARD_OUTBOUND_ALLOW$`,
          ),
        );
        expect(ok.hits).toEqual([]);
      } finally {
        await guard.close();
      }
    },
  );

  it('a literal loopback URL is refused unless allowed; with the allow list the receiver is reached', async () => {
    const closed = createOutboundGuard(publicOnly);
    const open = createOutboundGuard(outboundPolicy('127.0.0.1/32'));
    try {
      const refused = await refusalOf(
        postSigned(closed, `http://127.0.0.1:${ok.port}/a`, 'secret', '{}'),
      );
      expect(refused.reason).toMatch(/^refused: 127\.0\.0\.1 is loopback/);
      expect(ok.hits).toEqual([]);
      expect(await postSigned(open, `http://127.0.0.1:${ok.port}/b`, 'secret', '{}')).toBe(200);
      expect(ok.hits).toEqual(['/b']);
    } finally {
      ok.hits.length = 0;
      await closed.close();
      await open.close();
    }
  });

  it('a host:port entry allows that name on that port only', async () => {
    const lookup = scriptedLookup({ 'receiver.test': [['127.0.0.1']] });
    const guard = createOutboundGuard(outboundPolicy(`receiver.test:${ok.port}`), { lookup });
    try {
      expect(await postSigned(guard, `http://receiver.test:${ok.port}/c`, 's', '{}')).toBe(200);
      expect(ok.hits).toEqual(['/c']);
      await refusalOf(postSigned(guard, `http://127.0.0.1:${ok.port}/d`, 's', '{}'));
      expect(ok.hits).toEqual(['/c']);
    } finally {
      ok.hits.length = 0;
      await guard.close();
    }
  });

  it('a name with a public and a private answer is refused, whichever a connection would pick', async () => {
    const lookup = scriptedLookup({ 'mixed.test': [['93.184.216.34', '127.0.0.1']] });
    const guard = createOutboundGuard(publicOnly, { lookup });
    try {
      const refused = await refusalOf(
        postSigned(guard, `http://mixed.test:${ok.port}/`, 's', '{}'),
      );
      expect(refused.reason).toMatch(/^refused: 127\.0\.0\.1 is loopback/);
      expect(ok.hits).toEqual([]);
    } finally {
      await guard.close();
    }
  });

  it('DNS rebinding: each connection is decided on the answer it uses, so a name that changes its answer to a private address is refused then', async () => {
    // 127.0.0.1 is allowed here and stands for the acceptable first answer; the name then
    // rebinds to 10.0.0.1. The receiver closes every connection, so each request resolves anew.
    const lookup = scriptedLookup({ 'rebind.test': [['127.0.0.1'], ['10.0.0.1']] });
    const guard = createOutboundGuard(outboundPolicy('127.0.0.1/32'), { lookup });
    try {
      expect(await postSigned(guard, `http://rebind.test:${ok.port}/first`, 's', '{}')).toBe(200);
      const refused = await refusalOf(
        postSigned(guard, `http://rebind.test:${ok.port}/second`, 's', '{}'),
      );
      expect(refused.reason).toMatch(/^refused: 10\.0\.0\.1 is private/);
      // Resolved once per connection (never a check on one answer and a connection on another).
      expect(lookup.calls).toEqual(['rebind.test', 'rebind.test']);
      expect(ok.hits).toEqual(['/first']);
    } finally {
      ok.hits.length = 0;
      await guard.close();
    }
  });

  it('does not follow a redirect: the 3xx is the answer and its target gets nothing', async () => {
    const target = await closingReceiver();
    const redirecting = await closingReceiver((res) => {
      res.statusCode = 302;
      res.setHeader('location', `http://127.0.0.1:${target.port}/elsewhere`);
      res.end();
    });
    const guard = createOutboundGuard(outboundPolicy('127.0.0.1/32'));
    try {
      expect(await postSigned(guard, `http://127.0.0.1:${redirecting.port}/hook`, 's', '{}')).toBe(
        302,
      );
      expect(redirecting.hits).toEqual(['/hook']);
      expect(target.hits).toEqual([]);
    } finally {
      await guard.close();
      await target.close();
      await redirecting.close();
    }
  });

  it('a Pipedrive look-up refused by the policy is treated like an unreachable API, its reason told', async () => {
    const lookup = scriptedLookup({ 'pipedrive.evil.test': [['10.1.2.3']] });
    const guard = createOutboundGuard(publicOnly, { lookup });
    const errors: unknown[] = [];
    try {
      const people = pipedrivePeople(
        {
          id: 'int_x',
          apiToken: 'token-123456',
          apiBaseUrl: `http://pipedrive.evil.test:${ok.port}`,
        },
        peopleCache(),
        { fetch: guard.fetch, onError: (error) => errors.push(error) },
      );
      expect(await people?.peopleOf('person', '5')).toBeUndefined();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(OutboundRefused);
      expect((errors[0] as Error).message).toMatch(/^refused: 10\.1\.2\.3 is private/);
      expect(ok.hits).toEqual([]);
    } finally {
      await guard.close();
    }
  });
});
