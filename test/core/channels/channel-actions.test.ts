import { describe, expect, it } from 'vitest';
import {
  buildPrincipal,
  type AccessFactsSource,
  type MemberFacts,
  type Restrictions,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import { changeChannel } from '../../../src/core/channels/change-channel.js';
import type {
  ChannelRecord,
  ChannelsAuditEntry,
  ChannelsStore,
  WhatsappSettingsRules,
} from '../../../src/core/channels/channels-store.js';
import { connectChannel } from '../../../src/core/channels/connect-channel.js';
import { disableChannel } from '../../../src/core/channels/disable-channel.js';
import { listChannels } from '../../../src/core/channels/list-channels.js';
import { reconnectChannel } from '../../../src/core/channels/reconnect-channel.js';
import { viewChannelQr } from '../../../src/core/channels/view-channel-qr.js';
import { viewChannel } from '../../../src/core/channels/view-channel.js';
import { AppError, isAppError } from '../../../src/core/errors.js';
import type { SwitchboardEvent } from '../../../src/core/events/events.js';
import { publicOnly } from '../../../src/core/outbound/outbound-policy.js';

/**
 * The channel-account use cases against in-memory fakes of their ports. The fake store commits
 * a transaction's writes only when its work succeeds, so a refused action is seen to write
 * nothing. The workspace: Owner, Admin, Agent "agent" (channels: own), Agent "nocon" (own, but
 * the noChannelConnection restriction), Teammate "tina" of team Sales (sees her team's
 * accounts, edits only her own); accounts: the Agent's WhatsApp (connected), Sales' WhatsApp
 * (logged out), HQ's WhatsApp (waiting for its QR scan) and HQ's webhook channel.
 */
const WS = 'ws';
const NOW = new Date('2026-12-03T12:00:00Z');

interface State {
  channels: ChannelRecord[];
  sessions: string[];
  audits: ChannelsAuditEntry[];
}

const clone = (s: State): State => ({
  channels: s.channels.map((c) => ({ ...c, settings: { ...c.settings } })),
  sessions: [...s.sessions],
  audits: [...s.audits],
});

/** A stand-in for the WhatsApp adapter's rules: contacts are `+` and digits. */
const settingsRules: WhatsappSettingsRules = {
  defaults: { groups: false, excludedContacts: [] },
  normalize(settings) {
    const s = (settings ?? {}) as Record<string, unknown>;
    const contacts = (s.excludedContacts ?? []) as unknown[];
    const bad = contacts.findIndex((c) => typeof c !== 'string' || !/^\+\d+$/.test(c));
    if (bad >= 0)
      throw new AppError('invalid_input', 'malformed', {
        details: [{ path: `excludedContacts.${bad}`, message: 'must be a phone number' }],
      });
    return {
      ...s,
      groups: s.groups === true,
      excludedContacts: [...new Set(contacts as string[])],
    };
  },
};

function world(options: { whatsapp?: boolean } = {}) {
  const member = (userId: string, role: string, restrictions: Restrictions = {}): MemberFacts => ({
    userId,
    name: userId,
    role,
    status: 'active',
    restrictions,
  });
  const facts: WorkspaceAccessFacts = {
    workspaceId: WS,
    members: [
      member('owner', 'owner'),
      member('admin', 'admin'),
      member('agent', 'agent'),
      member('nocon', 'agent', { noChannelConnection: true }),
      member('tina', 'teammate'),
      { ...member('gone', 'agent'), status: 'revoked' },
    ],
    teams: [
      { id: 'sales', name: 'Sales', parentId: null, status: 'active' },
      { id: 'old', name: 'Old', parentId: null, status: 'deleted' },
    ],
    teamMembers: [{ teamId: 'sales', userId: 'tina' }],
    customRoles: [],
    bindings: [],
  };
  const access: AccessFactsSource = {
    workspaceAccess: (workspaceId) => {
      expect(workspaceId).toBe(WS);
      return Promise.resolve(facts);
    },
    chatFacts: () => Promise.resolve([]),
  };
  const account = (
    id: string,
    owner: ChannelRecord['owner'],
    status: ChannelRecord['status'],
    type: ChannelRecord['type'] = 'whatsapp',
  ): ChannelRecord => ({
    id,
    workspaceId: WS,
    owner,
    type,
    name: id,
    status,
    statusDetail: status === 'logged_out' ? 'LOGOUT' : null,
    settings: type === 'whatsapp' ? { groups: false, excludedContacts: [], phone: '+49' } : {},
    qr: status === 'qr_pending' ? 'QR-CODE' : null,
  });
  let state: State = {
    channels: [
      account('wa-agent', { type: 'user', userId: 'agent' }, 'connected'),
      account('wa-nocon', { type: 'user', userId: 'nocon' }, 'disabled'),
      account('wa-sales', { type: 'team', teamId: 'sales' }, 'logged_out'),
      account('wa-hq', { type: 'workspace' }, 'qr_pending'),
      account('hook', { type: 'workspace' }, 'active', 'webhook'),
    ],
    sessions: ['wa-agent', 'wa-sales'],
    audits: [],
  };
  let seq = 0;
  const find = (channels: ChannelRecord[], id: string) => {
    const c = channels.find((x) => x.id === id);
    return c && { ...c, settings: { ...c.settings } };
  };
  const store: ChannelsStore = {
    listChannels: () => Promise.resolve(clone(state).channels),
    findChannel: (_ws, id) => Promise.resolve(find(state.channels, id)),
    async transaction(work) {
      const draft = clone(state);
      const update = (id: string, change: Partial<ChannelRecord>) => {
        const c = draft.channels.find((x) => x.id === id);
        if (!c) throw new Error(id);
        Object.assign(c, change);
        return Promise.resolve({ ...c, settings: { ...c.settings } });
      };
      const result = await work({
        lockChannel: (_ws, id) => Promise.resolve(find(draft.channels, id)),
        insertChannel: (c) => {
          const created: ChannelRecord = {
            id: `ch${++seq}`,
            workspaceId: c.workspaceId,
            owner: c.owner,
            type: c.type,
            name: c.name,
            status: c.status,
            statusDetail: null,
            settings: c.settings ?? {},
            qr: null,
          };
          draft.channels.push(created);
          return Promise.resolve({ ...created });
        },
        setSettings: (_ws, id, settings) => update(id, { settings }),
        setStatus: (_ws, id, status) => update(id, { status, statusDetail: null, qr: null }),
        forgetSession: (_ws, id) => {
          draft.sessions = draft.sessions.filter((s) => s !== id);
          return Promise.resolve();
        },
        audit: (entry) => {
          draft.audits.push(entry);
          return Promise.resolve();
        },
      });
      state = draft;
      return result;
    },
  };
  const published: SwitchboardEvent[] = [];
  const events = {
    publish: (event: SwitchboardEvent) => {
      published.push(event);
      return Promise.resolve();
    },
  };
  const told: string[] = [];
  const whatsapp =
    options.whatsapp === false ? undefined : { accountChanged: (id: string) => void told.push(id) };
  const as = (userId: string) => {
    const p = buildPrincipal(facts, userId);
    if (!p) throw new Error(userId);
    return p;
  };
  return {
    deps: {
      store,
      access,
      events,
      whatsapp,
      whatsappSettings: settingsRules,
      outboundPolicy: publicOnly,
      now: () => NOW,
    },
    state: () => state,
    channel: (id: string) => state.channels.find((c) => c.id === id),
    published,
    told,
    as,
  };
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const target = (w: ReturnType<typeof world>, actor: string, channelId: string) => ({
  actor: w.as(actor),
  workspaceId: WS,
  channelId,
});

describe('seeing channel accounts', () => {
  it('§3 the list holds only the accounts the actor may view: an Agent her own, a Teammate her team’s, the Owner all', async () => {
    const w = world();
    const ids = async (actor: string) =>
      (await listChannels(w.deps, { actor: w.as(actor), workspaceId: WS })).map((c) => c.id);
    expect(await ids('agent')).toEqual(['wa-agent']);
    expect(await ids('tina')).toEqual(['wa-sales']);
    expect(await ids('owner')).toEqual(['wa-agent', 'wa-nocon', 'wa-sales', 'wa-hq', 'hook']);
  });

  it('an account the actor may not view, or one the workspace does not have, is not found', async () => {
    const w = world();
    expect((await viewChannel(w.deps, target(w, 'agent', 'wa-agent'))).id).toBe('wa-agent');
    for (const channelId of ['wa-hq', 'nope'])
      expect((await refusal(viewChannel(w.deps, target(w, 'agent', channelId)))).code).toBe(
        'not_found',
      );
  });
});

describe('the QR code', () => {
  it('is shown while the account waits for its scan, to those who may connect it', async () => {
    const w = world();
    expect(await viewChannelQr(w.deps, target(w, 'admin', 'wa-hq'))).toEqual({
      status: 'qr_pending',
      qr: 'QR-CODE',
    });
    expect(await viewChannelQr(w.deps, target(w, 'agent', 'wa-agent'))).toEqual({
      status: 'connected',
    });
  });

  it('says why the account is down, when the node running it said', async () => {
    const w = world();
    expect(await viewChannelQr(w.deps, target(w, 'admin', 'wa-sales'))).toEqual({
      status: 'logged_out',
      detail: 'LOGOUT',
    });
    // Reconnecting forgets the reason of the earlier status.
    const channel = await reconnectChannel(w.deps, target(w, 'admin', 'wa-sales'));
    expect(channel).toMatchObject({ status: 'qr_pending', statusDetail: null });
  });

  it('§3.4 noChannelConnection: the account is seen but its QR code refused; unseen is not found; a webhook channel has none', async () => {
    const w = world();
    const refused = await refusal(viewChannelQr(w.deps, target(w, 'nocon', 'wa-nocon')));
    expect(refused.code).toBe('forbidden');
    expect(refused.message).toMatch(/^you may not connect this channel account/);
    expect((await refusal(viewChannelQr(w.deps, target(w, 'agent', 'wa-hq')))).code).toBe(
      'not_found',
    );
    expect((await refusal(viewChannelQr(w.deps, target(w, 'admin', 'hook')))).code).toBe(
      'conflict',
    );
  });
});

describe('connecting an account', () => {
  it('without an owner the actor owns it; a webhook channel is active with its secret; audited', async () => {
    const w = world();
    const { channel, secret } = await connectChannel(w.deps, {
      actor: w.as('agent'),
      workspaceId: WS,
      type: 'webhook',
      name: 'Shop',
      outboundUrl: 'https://shop.example/replies',
    });
    expect(channel).toMatchObject({ owner: { type: 'user', userId: 'agent' }, status: 'active' });
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(w.state().audits).toEqual([
      expect.objectContaining({ action: 'channel.connect', targetId: channel.id }),
    ]);
    expect(w.told).toEqual([]);
  });

  it('a WhatsApp account waits for its QR scan, group chats off, and the nodes are told', async () => {
    const w = world();
    const { channel, secret } = await connectChannel(w.deps, {
      actor: w.as('admin'),
      workspaceId: WS,
      type: 'whatsapp',
      name: 'Sales phone',
      owner: { type: 'team', teamId: 'sales' },
    });
    expect(channel).toMatchObject({ status: 'qr_pending', settings: settingsRules.defaults });
    expect(secret).toBeNull();
    expect(w.told).toEqual([channel.id]);
  });

  it('§3 channel.connect "own": an Agent may not connect an account for a team; nothing is written', async () => {
    const w = world();
    const refused = await refusal(
      connectChannel(w.deps, {
        actor: w.as('agent'),
        workspaceId: WS,
        type: 'webhook',
        name: 'Sales hook',
        owner: { type: 'team', teamId: 'sales' },
      }),
    );
    expect(refused.code).toBe('forbidden');
    expect(w.state().channels).toHaveLength(5);
    expect(w.state().audits).toEqual([]);
  });

  it('the owner must be an active member or team; WhatsApp needs a server that runs it and takes no outboundUrl', async () => {
    const w = world();
    const cases = [
      { owner: { type: 'user' as const, userId: 'gone' }, path: 'body.owner.id' },
      { owner: { type: 'team' as const, teamId: 'old' }, path: 'body.owner.id' },
      { type: 'whatsapp' as const, outboundUrl: 'https://x.example', path: 'body.outboundUrl' },
    ];
    for (const { path, ...given } of cases) {
      const refused = await refusal(
        connectChannel(w.deps, {
          actor: w.as('owner'),
          workspaceId: WS,
          type: 'webhook',
          name: 'x',
          ...given,
        }),
      );
      expect(refused.code).toBe('invalid_input');
      expect(refused.details?.[0]?.path).toBe(path);
    }
    const noWhatsapp = world({ whatsapp: false });
    const refused = await refusal(
      connectChannel(noWhatsapp.deps, {
        actor: noWhatsapp.as('owner'),
        workspaceId: WS,
        type: 'whatsapp',
        name: 'x',
      }),
    );
    expect(refused.details?.[0]?.path).toBe('body.type');
    expect(w.state().channels).toHaveLength(5);
  });
});

describe('changing a WhatsApp account’s settings', () => {
  it('changes only what is given, keeps other keys, normalizes, audits, and tells the nodes', async () => {
    const w = world();
    const channel = await changeChannel(w.deps, {
      ...target(w, 'agent', 'wa-agent'),
      settings: { excludedContacts: ['+4917', '+4917'] },
    });
    expect(channel.settings).toEqual({ groups: false, excludedContacts: ['+4917'], phone: '+49' });
    expect(w.state().audits).toEqual([
      expect.objectContaining({
        action: 'channel.edit',
        before: { groups: false, excludedContacts: [] },
        after: { groups: false, excludedContacts: ['+4917'] },
      }),
    ]);
    expect(w.told).toEqual(['wa-agent']);
  });

  it('§3 channel.edit "own": a Teammate sees her team’s account but may not edit it; unseen is not found', async () => {
    const w = world();
    const refused = await refusal(
      changeChannel(w.deps, { ...target(w, 'tina', 'wa-sales'), settings: { groups: true } }),
    );
    expect(refused.code).toBe('forbidden');
    expect(refused.message).toMatch(/^you may not edit this channel account/);
    const unseen = await refusal(
      changeChannel(w.deps, { ...target(w, 'tina', 'wa-agent'), settings: { groups: true } }),
    );
    expect(unseen.code).toBe('not_found');
    expect(w.channel('wa-sales')?.settings.groups).toBe(false);
    expect(w.told).toEqual([]);
  });

  it('malformed settings, or a webhook channel, are invalid_input naming the body path; nothing is written', async () => {
    const w = world();
    const refused = await refusal(
      changeChannel(w.deps, {
        ...target(w, 'admin', 'wa-hq'),
        settings: { excludedContacts: ['+49', 'call me'] },
      }),
    );
    expect(refused.code).toBe('invalid_input');
    expect(refused.details).toEqual([
      { path: 'body.settings.excludedContacts.1', message: 'must be a phone number' },
    ]);
    const webhook = await refusal(
      changeChannel(w.deps, { ...target(w, 'admin', 'hook'), settings: { groups: true } }),
    );
    expect(webhook.code).toBe('invalid_input');
    expect(webhook.details?.[0]?.path).toBe('body.settings');
    expect(w.state().audits).toEqual([]);
  });
});

describe('disabling and reconnecting a WhatsApp account', () => {
  it('disabling: status and audit in one transaction, then access.changed and the nodes told; again changes nothing', async () => {
    const w = world();
    const disabled = await disableChannel(w.deps, target(w, 'agent', 'wa-agent'));
    expect(disabled).toMatchObject({ status: 'disabled', qr: null });
    expect(w.state().audits).toEqual([
      expect.objectContaining({
        action: 'channel.disable',
        actorUserId: 'agent',
        before: { status: 'connected' },
        after: { status: 'disabled' },
      }),
    ]);
    expect(w.published).toEqual([{ type: 'access.changed', workspaceId: WS }]);
    expect(w.told).toEqual(['wa-agent']);
    expect(w.state().sessions).toContain('wa-agent');
    const again = await disableChannel(w.deps, target(w, 'agent', 'wa-agent'));
    expect(again.status).toBe('disabled');
    expect(w.state().audits).toHaveLength(1);
    expect(w.published).toHaveLength(1);
  });

  it('disabling needs channel.edit (forbidden), an account the actor sees (not found), and a WhatsApp account (conflict)', async () => {
    const w = world();
    expect((await refusal(disableChannel(w.deps, target(w, 'tina', 'wa-sales')))).code).toBe(
      'forbidden',
    );
    expect((await refusal(disableChannel(w.deps, target(w, 'agent', 'nope')))).code).toBe(
      'not_found',
    );
    expect((await refusal(disableChannel(w.deps, target(w, 'admin', 'hook')))).code).toBe(
      'conflict',
    );
    expect(w.published).toEqual([]);
    expect(w.state().audits).toEqual([]);
  });

  it('reconnecting a logged-out account forgets its session and waits for a new QR scan', async () => {
    const w = world();
    const channel = await reconnectChannel(w.deps, target(w, 'admin', 'wa-sales'));
    expect(channel.status).toBe('qr_pending');
    expect(w.state().sessions).toEqual(['wa-agent']);
    expect(w.state().audits).toEqual([
      expect.objectContaining({
        action: 'channel.reconnect',
        before: { status: 'logged_out' },
        after: { status: 'qr_pending' },
      }),
    ]);
    expect(w.told).toEqual(['wa-sales']);
  });

  it('reconnecting a connected or waiting account is a conflict; it needs channel.connect; unseen is not found', async () => {
    const w = world();
    for (const channelId of ['wa-agent', 'wa-hq'])
      expect((await refusal(reconnectChannel(w.deps, target(w, 'admin', channelId)))).code).toBe(
        'conflict',
      );
    const refused = await refusal(reconnectChannel(w.deps, target(w, 'nocon', 'wa-nocon')));
    expect(refused.code).toBe('forbidden');
    expect((await refusal(reconnectChannel(w.deps, target(w, 'agent', 'wa-hq')))).code).toBe(
      'not_found',
    );
    expect(w.channel('wa-nocon')?.status).toBe('disabled');
    expect(w.state().audits).toEqual([]);
    expect(w.told).toEqual([]);
  });
});
