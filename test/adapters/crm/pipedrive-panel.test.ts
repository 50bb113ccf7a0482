import { describe, expect, it } from 'vitest';
import {
  authenticatePipedrive,
  basicAuthMatches,
} from '../../../src/adapters/crm/pipedrive-auth.js';
import { peopleCache, pipedrivePeople } from '../../../src/adapters/crm/pipedrive-api.js';
import {
  pipedriveModalOpen,
  pipedrivePanel,
  pipedrivePanelError,
  pipedrivePanelSchema,
  type PanelChat,
} from '../../../src/adapters/crm/pipedrive-panel.js';
import { TtlCache } from '../../../src/adapters/crm/ttl-cache.js';
import { pipedriveContacts } from '../../../src/core/crm/pipedrive-contacts.js';
import { isAppError } from '../../../src/core/errors.js';
import { pipedriveToken } from '../../support/fake-pipedrive.js';
import { expectPipedrivePanel, expectPipedrivePanelError } from './pipedrive-format.js';

/** In-memory chats, presented as the presenter gets them (already redacted). */
function chats(n: number, overrides: Partial<PanelChat['chat']> = {}): PanelChat[] {
  return Array.from({ length: n }, (_, i) => ({
    chat: {
      id: `cht_${i}`,
      channelId: 'chn_1',
      externalId: `e${i}`,
      contact: { id: `ct_${i}`, name: `Dana ${i}`, phone: '+4930555000', email: null },
      assignee:
        i % 3 === 0
          ? null
          : i % 3 === 1
            ? { type: 'user', id: 'usr_me' }
            : { type: 'team', id: 'tm_1' },
      lastMessageAt: new Date(Date.UTC(2026, 0, 1, 12, 0, i)).toISOString(),
      lastMessagePreview: `Hello ${i}`,
      ...overrides,
    },
    channelName: 'Web chat',
    assigneeName: i % 3 === 2 ? 'Sales' : 'Me',
    url: `https://sb.test/#/chats/cht_${i}`,
  }));
}

describe('the Pipedrive JSON panel presenter (Pipedrive’s limits and field types)', () => {
  it('answers at most ten objects, each an id, a header and fields of the uploaded schema’s types', () => {
    const panel = pipedrivePanel(chats(25), 'usr_me');
    const data = expectPipedrivePanel(panel);
    expect(data).toHaveLength(10);
    expect(data.map((o) => o.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Every field the schema defines is there, in its order (Pipedrive renders in schema order).
    expect(Object.keys(data[0]!)).toEqual(Object.keys(pipedrivePanelSchema.items.properties));
    expect(Object.keys(pipedrivePanelSchema.items.properties).length - 2).toBeLessThanOrEqual(20);
  });

  it('says who the chat is assigned to with a label of one of Pipedrive’s colours', () => {
    const [unassigned, mine, team] = pipedrivePanel(chats(3), 'usr_me').data;
    expect(unassigned!.status).toEqual({ color: 'yellow', label: 'Unassigned' });
    expect(unassigned!.assignee).toBe('Unassigned');
    expect(mine!.status).toEqual({ color: 'green', label: 'Assigned to you' });
    expect(team!.status).toEqual({ color: 'purple', label: 'Assigned to a team' });
    expect(team!.assignee).toBe('Sales (team)');
    expect(pipedrivePanel(chats(2), 'usr_other').data[1]!.status.label).toBe('Assigned');
  });

  it('cuts long text at Pipedrive’s 255 characters and writes times as YYYY-MM-DDThh:mm:ssZ', () => {
    const long = 'ä'.repeat(400);
    const [object] = pipedrivePanel(
      chats(1, {
        lastMessagePreview: long,
        contact: { id: 'c', name: long, phone: null, email: null },
      }),
      'usr_me',
    ).data;
    expect([...object!.last_message]).toHaveLength(255);
    expect(object!.last_message.endsWith('…')).toBe(true);
    expect([...object!.header].length).toBeLessThanOrEqual(255);
    expect(object!.time).toBe('2026-01-01T12:00:00Z');
    expectPipedrivePanel({ data: [object] });
  });

  it('answers {data: []} when there is nothing to show', () => {
    expect(pipedrivePanel([], 'usr_me')).toEqual({ data: [] });
  });

  it('shapes errors as Pipedrive’s {error: {title ≤ 30, subtitle}}', () => {
    const body = pipedrivePanelError('A title far longer than thirty characters', 'Why.');
    expectPipedrivePanelError({ status: 403, body });
  });

  it('opens the modal with the chats to choose from, merged by block key', () => {
    const open = pipedriveModalOpen([{ chatId: 'cht_1', label: 'Dana · Web chat · Hi' }]);
    expect(open.data.blocks.chat).toEqual({
      items: [{ label: 'Dana · Web chat · Hi', value: 'cht_1' }],
      value: 'cht_1',
    });
    expect(open.data.actions).toEqual({});
    expect(pipedriveModalOpen([]).data.blocks.chat).toEqual({ items: [] });
  });
});

describe('Pipedrive’s request authentication', () => {
  const secret = 'a-panel-jwt-secret-of-pipedrive';
  const now = new Date();
  const auth = (
    settings: Parameters<typeof authenticatePipedrive>[0],
    query: object,
    authorization?: string,
  ) => authenticatePipedrive(settings, { query, authorization, now });
  const refusedWith401 = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAppError(error) && error.code).toBe('unauthorized');
  };

  it('takes a token signed the way Pipedrive signs it, and the query may repeat its claims', async () => {
    const token = pipedriveToken(secret, { userId: 42, companyId: 7 });
    expect(await auth({ jwtSecret: secret }, { token, userId: '42', companyId: '7' })).toEqual({
      userId: '42',
      companyId: '7',
    });
  });

  it('refuses another secret, an expired token, a query contradicting the token, or none', async () => {
    const token = pipedriveToken('another-secret-altogether', { userId: 42, companyId: 7 });
    await refusedWith401(auth({ jwtSecret: secret }, { token }));
    const expired = pipedriveToken(
      secret,
      { userId: 42, companyId: 7 },
      { iat: 1_000_000, expiresInSeconds: 60 },
    );
    await refusedWith401(auth({ jwtSecret: secret }, { token: expired }));
    const good = pipedriveToken(secret, { userId: 42, companyId: 7 });
    await refusedWith401(auth({ jwtSecret: secret }, { token: good, userId: '43' }));
    await refusedWith401(auth({ jwtSecret: secret }, { userId: '42', companyId: '7' }));
    // An integration with neither a JWT secret nor Basic credentials trusts nobody.
    await refusedWith401(auth({}, { token: good }));
  });

  it('checks HTTP Basic credentials when configured, with the token too when both are', async () => {
    const basicAuth = { username: 'pipedrive', password: 'panel-password' };
    const header = `Basic ${Buffer.from('pipedrive:panel-password').toString('base64')}`;
    expect(basicAuthMatches(basicAuth, header)).toBe(true);
    expect(
      basicAuthMatches(basicAuth, `Basic ${Buffer.from('pipedrive:nope').toString('base64')}`),
    ).toBe(false);
    expect(basicAuthMatches(basicAuth, undefined)).toBe(false);
    expect(await auth({ basicAuth }, { userId: '42', companyId: '7' }, header)).toEqual({
      userId: '42',
      companyId: '7',
    });
    await refusedWith401(auth({ basicAuth }, { userId: '42', companyId: '7' }));
    const token = pipedriveToken(secret, { userId: 42, companyId: 7 });
    expect(await auth({ basicAuth, jwtSecret: secret }, { token }, header)).toMatchObject({
      userId: '42',
    });
    await refusedWith401(auth({ basicAuth, jwtSecret: secret }, { token }));
  });
});

describe('the contacts a Pipedrive entity stands for', () => {
  it('are the linked records and the phones and emails Pipedrive gives, phones in E.164', async () => {
    const contacts = await pipedriveContacts(
      {
        people: {
          peopleOf: (resource, id) =>
            Promise.resolve(
              resource === 'deal' && id === '9'
                ? {
                    personIds: ['5'],
                    phones: ['+49 (30) 555-000', 'not a phone'],
                    emails: [' Dana@Example.TEST '],
                  }
                : undefined,
            ),
        },
      },
      { integrationId: 'int_1', resource: 'deal', selectedIds: ['9', '9'] },
    );
    expect(contacts).toEqual([
      { record: { integrationId: 'int_1', type: 'deal', id: '9' } },
      { record: { integrationId: 'int_1', type: 'person', id: '5' } },
      { phone: '+4930555000' },
      { email: 'dana@example.test' },
    ]);
    expect(
      await pipedriveContacts(
        { people: undefined },
        { integrationId: 'i', resource: 'product', selectedIds: ['1'] },
      ),
    ).toEqual([]);
  });
});

describe('Pipedrive’s API, read briefly cached', () => {
  it('asks Pipedrive once per person a minute, and gives up on a slow Pipedrive', async () => {
    const calls: string[] = [];
    const fakeFetch = ((url: URL) => {
      calls.push(`${url.pathname}?${url.searchParams.toString()}`);
      return Promise.resolve(
        new Response(
          JSON.stringify({
            success: true,
            data: {
              id: 5,
              name: 'Dana',
              phone: [{ value: '+4930555000', primary: true }],
              email: [],
            },
          }),
          { status: 200 },
        ),
      );
    }) as unknown as typeof fetch;
    const cache = peopleCache();
    const people = pipedrivePeople(
      { id: 'int_1', apiToken: 'token-123456', apiBaseUrl: 'https://acme.pipedrive.test/' },
      cache,
      { fetch: fakeFetch },
    )!;
    const first = await people.peopleOf('person', '5');
    const again = await people.peopleOf('person', '5');
    expect(first).toEqual({ personIds: ['5'], phones: ['+4930555000'], emails: [] });
    expect(again).toEqual(first);
    expect(calls).toEqual(['/api/v1/persons/5?api_token=token-123456']);

    const slow = pipedrivePeople(
      { id: 'int_2', apiToken: 'token-123456', apiBaseUrl: 'https://acme.pipedrive.test' },
      cache,
      {
        timeoutMs: 50,
        fetch: ((_url: URL, init: RequestInit) =>
          new Promise((_resolve, reject) =>
            init.signal?.addEventListener('abort', () => reject(new Error('timed out'))),
          )) as unknown as typeof fetch,
      },
    )!;
    const started = Date.now();
    expect(await slow.peopleOf('person', '5')).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2_000);
    // Without an API token there is no Pipedrive to ask.
    expect(
      pipedrivePeople({ id: 'i', apiBaseUrl: 'https://x.test' }, cache, { fetch: fakeFetch }),
    ).toBeUndefined();
  });

  it('keeps entries a while and at most so many', async () => {
    let now = 0;
    const cache = new TtlCache<number>({ ttlMs: 1_000, maxEntries: 2, now: () => now });
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    expect(await cache.get('a', load)).toBe(1);
    expect(await cache.get('a', load)).toBe(1);
    now = 1_001;
    expect(await cache.get('a', load)).toBe(2);
    await cache.get('b', load);
    await cache.get('c', load);
    expect(cache.size).toBe(2);
    await expect(cache.get('d', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('d', load)).toBe(5);
  });
});
