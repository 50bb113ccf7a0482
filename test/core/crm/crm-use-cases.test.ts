import { describe, expect, it } from 'vitest';
import {
  buildPrincipal,
  type AccessFactsSource,
  type ChatFacts,
  type Principal,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import { linkCrmRecord, type CrmRecordsTx } from '../../../src/core/crm/link-crm-record.js';
import { listContactChats, type ContactKey } from '../../../src/core/crm/list-contact-chats.js';
import { resolvePanelMember } from '../../../src/core/crm/panel-member.js';
import type { ActingUser, IdentityDirectory } from '../../../src/core/identity/resolve-member.js';
import { createIntegration } from '../../../src/core/integrations/create-integration.js';
import type {
  CrmIntegration,
  IntegrationsStore,
  IntegrationsTx,
} from '../../../src/core/integrations/integrations-store.js';
import { mapCrmUser } from '../../../src/core/integrations/map-crm-user.js';
import { publicOnly } from '../../../src/core/outbound/outbound-policy.js';

/**
 * The CRM panel use cases on in-memory ports (issue 20): who a panel acts as, which chats of a
 * contact it shows, CRM records and their members, integrations and CRM user mappings.
 */
const WS = 'ws';
const users: ActingUser[] = ['olivia', 'aaron', 'carla', 'sam'].map((id) => ({
  id,
  email: `${id}@t.test`,
  name: id,
}));
const facts: WorkspaceAccessFacts = {
  workspaceId: WS,
  members: [
    { userId: 'olivia', name: 'olivia', role: 'owner', status: 'active', restrictions: {} },
    { userId: 'aaron', name: 'aaron', role: 'agent', status: 'active', restrictions: {} },
    { userId: 'carla', name: 'carla', role: 'collaborator', status: 'active', restrictions: {} },
    { userId: 'sam', name: 'sam', role: 'agent', status: 'suspended', restrictions: {} },
  ],
  teams: [],
  teamMembers: [],
  customRoles: [],
  bindings: [],
};
const chat = (id: string, extra: Partial<ChatFacts> = {}): ChatFacts => ({
  id,
  workspaceId: WS,
  channelId: 'ch_ws',
  channelOwner: { type: 'workspace' },
  assignee: null,
  participantIds: [],
  ...extra,
});
const chats = [
  chat('c_new', { assignee: { type: 'user', userId: 'aaron' } }),
  chat('c_old'),
  chat('c_granted', { crmGrantUserIds: ['carla'] }),
  chat('c_mail'),
];
const access: AccessFactsSource = {
  workspaceAccess: () => Promise.resolve(facts),
  chatFacts: (_ws, ids) => Promise.resolve(chats.filter((c) => ids.includes(c.id))),
};
const identity: IdentityDirectory = {
  userByTokenHash: () => Promise.resolve(undefined),
  userById: (id) => Promise.resolve(users.find((u) => u.id === id)),
  userByEmail: (email) => Promise.resolve(users.find((u) => u.email === email)),
};
const as = (userId: string) => buildPrincipal(facts, userId) as Principal;

async function outcome<T>(work: Promise<T>): Promise<T | { code: string; message: string }> {
  try {
    return await work;
  } catch (error) {
    const e = error as { code: string; message: string };
    return { code: e.code, message: e.message };
  }
}

describe('resolvePanelMember', () => {
  it('an active member by email; unknown, suspended and foreign members refused alike (403)', async () => {
    const ok = await resolvePanelMember({ identity, access }, WS, { email: 'aaron@t.test' });
    expect(ok.principal.userId).toBe('aaron');
    for (const email of ['nobody@t.test', 'sam@t.test']) {
      expect(await outcome(resolvePanelMember({ identity, access }, WS, { email }))).toMatchObject({
        code: 'forbidden',
        message: `${email} is not an active member of this workspace`,
      });
    }
  });
});

describe('listContactChats', () => {
  const byContact: Record<string, string[]> = {
    '+4930111': ['c_new', 'c_old', 'c_granted'],
    'same@person.test': ['c_mail'],
  };
  const source = {
    chatIdsOf: (_ws: string, c: ContactKey) =>
      Promise.resolve(
        'phone' in c ? (byContact[c.phone] ?? []) : 'email' in c ? (byContact[c.email] ?? []) : [],
      ),
  };
  /** Last activity: in the order the source finds them, and the email's chat between them. */
  const minute: Record<string, number> = { c_new: 40, c_mail: 30, c_old: 20, c_granted: 10 };
  const reads = {
    summaries: (_ws: string, ids: readonly string[]) =>
      Promise.resolve(
        ids.map((id) => ({
          id,
          channelId: 'ch',
          externalId: id,
          contact: { id: 'ct', name: 'C', phone: '+4930111', email: null },
          assignee: null,
          lastMessageAt: new Date(Date.UTC(2026, 11, 4, 10, minute[id] ?? 0)),
          lastMessagePreview: '',
        })),
      ),
  };
  const list = async (
    userId: string,
    limit = 10,
    contacts: ContactKey[] = [{ phone: '+4930111' }],
  ) =>
    (
      await listContactChats(
        { access, chats: source, reads },
        { actor: as(userId), workspaceId: WS, contacts, limit },
      )
    ).map((c) => c.id);

  it('keeps only what the member may see as a CRM panel, in the order found, up to the limit', async () => {
    expect(await list('olivia')).toEqual(['c_new', 'c_old', 'c_granted']);
    expect(await list('olivia', 2)).toEqual(['c_new', 'c_old']);
    expect(await list('aaron')).toEqual(['c_new']);
    // A CRM grant counts in the panel (and only there: the API's check does not see it).
    expect(await list('carla')).toEqual(['c_granted']);
  });

  it('a contact named by phone and email: the chats of both, newest activity first', async () => {
    expect(
      await list('olivia', 10, [{ phone: '+4930111' }, { email: 'same@person.test' }]),
    ).toEqual(['c_new', 'c_mail', 'c_old', 'c_granted']);
  });

  it('an unknown contact is an empty list', async () => {
    expect(await list('olivia', 5, [{ email: 'x@y.z' }])).toEqual([]);
  });
});

describe('linkCrmRecord', () => {
  const integration: CrmIntegration = {
    id: 'int_1',
    workspaceId: WS,
    type: 'crm',
    name: 'CRM',
    secret: 's',
  };
  function store() {
    const written: Parameters<CrmRecordsTx['writeRecord']>[0][] = [];
    const audited: unknown[] = [];
    return {
      written,
      audited,
      store: {
        transaction: <T>(work: (tx: CrmRecordsTx) => Promise<T>) =>
          work({
            existingContacts: (_ws, ids) => Promise.resolve(ids.filter((i) => i.startsWith('ct_'))),
            existingChats: (_ws, ids) => Promise.resolve(ids.filter((i) => i.startsWith('c_'))),
            writeRecord: (r) => {
              written.push(r);
              return Promise.resolve({ chats: r.chatIds.length });
            },
            audit: (e) => {
              audited.push(e);
              return Promise.resolve();
            },
          }),
      },
    };
  }

  it('writes the record with its members and audits it, the integration as actor', async () => {
    const s = store();
    const linked = await linkCrmRecord(
      { store: s.store, identity, access },
      {
        integration,
        recordType: 'deal',
        recordId: '9',
        contactIds: ['ct_1', 'ct_1'],
        chatIds: ['c_old'],
        userEmails: ['Carla@t.test', 'carla@t.test'],
      },
    );
    expect(linked).toEqual({ chats: 1, userIds: ['carla'] });
    expect(s.written[0]).toMatchObject({
      contactIds: ['ct_1'],
      chatIds: ['c_old'],
      userIds: ['carla'],
    });
    expect(s.audited[0]).toMatchObject({ action: 'crm.record_link', actorUserId: null });
  });

  it('refuses the whole record when an email is no member or an id is not the workspace’s', async () => {
    for (const [userEmails, chatIds] of [
      [['nobody@t.test'], ['c_old']],
      [['carla@t.test'], ['x_foreign']],
    ] as const) {
      const s = store();
      expect(
        await outcome(
          linkCrmRecord(
            { store: s.store, identity, access },
            { integration, recordType: 'deal', recordId: '9', contactIds: [], chatIds, userEmails },
          ),
        ),
      ).toMatchObject({ code: 'invalid_input' });
      expect(s.written).toEqual([]);
    }
  });
});

describe('integrations', () => {
  function memoryStore() {
    const rows: Array<Awaited<ReturnType<IntegrationsStore['list']>>[number]> = [];
    const mappings = new Map<string, string>();
    const tx: IntegrationsTx = {
      insert(i) {
        if (i.type === 'slack' && rows.some((r) => r.type === 'slack' && r.teamId === i.teamId))
          return Promise.resolve('taken');
        const row = { ...i, id: `int_${rows.length + 1}` };
        rows.push(row);
        return Promise.resolve(row);
      },
      remove: () => Promise.resolve(undefined),
      lock: (ws, id) => Promise.resolve(rows.find((r) => r.workspaceId === ws && r.id === id)),
      mapCrmUser: (m) => {
        mappings.set(`${m.integrationId}/${m.crmUserId}`, m.userId);
        return Promise.resolve();
      },
      audit: () => Promise.resolve(),
    };
    const store: IntegrationsStore = {
      transaction: (work) => work(tx),
      list: () => Promise.resolve(rows),
      find: (id) => Promise.resolve(rows.find((r) => r.id === id)),
      memberOfCrmUser: (id, crm) => Promise.resolve(mappings.get(`${id}/${crm}`)),
    };
    return { store, rows };
  }

  it('a CRM integration gets a fresh secret; only integrations.manage may create one', async () => {
    const { store } = memoryStore();
    const a = await createIntegration(
      { store, outboundPolicy: publicOnly },
      { actor: as('olivia'), workspaceId: WS, integration: { type: 'crm', name: 'A' } },
    );
    const b = await createIntegration(
      { store, outboundPolicy: publicOnly },
      { actor: as('olivia'), workspaceId: WS, integration: { type: 'crm', name: 'B' } },
    );
    expect(a.type === 'crm' && b.type === 'crm' && a.secret !== b.secret).toBe(true);
    expect(
      await outcome(
        createIntegration(
          { store, outboundPolicy: publicOnly },
          { actor: as('aaron'), workspaceId: WS, integration: { type: 'crm', name: 'C' } },
        ),
      ),
    ).toMatchObject({ code: 'forbidden' });
  });

  it('maps a CRM user to a member; not to a non-member, not on a Slack integration', async () => {
    const { store } = memoryStore();
    const deps = { store, access };
    const pd = await createIntegration(
      { store, outboundPolicy: publicOnly },
      {
        actor: as('olivia'),
        workspaceId: WS,
        integration: { type: 'pipedrive', name: 'P', companyId: '77', apiBaseUrl: 'http://x' },
      },
    );
    const slack = await createIntegration(
      { store, outboundPolicy: publicOnly },
      { actor: as('olivia'), workspaceId: WS, integration: { type: 'slack', teamId: 'T1' } },
    );
    const input = { actor: as('olivia'), workspaceId: WS, integrationId: pd.id, crmUserId: '5' };
    await mapCrmUser(deps, { ...input, userId: 'aaron' });
    expect(await store.memberOfCrmUser(pd.id, '5')).toBe('aaron');
    expect(await outcome(mapCrmUser(deps, { ...input, userId: 'ghost' }))).toMatchObject({
      code: 'invalid_input',
    });
    expect(
      await outcome(mapCrmUser(deps, { ...input, integrationId: slack.id, userId: 'aaron' })),
    ).toMatchObject({ code: 'invalid_input' });
    expect(
      await outcome(mapCrmUser(deps, { ...input, integrationId: 'int_nope', userId: 'aaron' })),
    ).toMatchObject({ code: 'not_found' });
    expect(
      await outcome(mapCrmUser(deps, { ...input, actor: as('aaron'), userId: 'aaron' })),
    ).toMatchObject({ code: 'forbidden' });
  });
});
