import { describe, expect, it } from 'vitest';
import {
  allows,
  buildPrincipal,
  mayViewMembers,
  noPermissions,
  webhookPrincipal,
  type ChatFacts,
  type MemberFacts,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import { isAppError } from '../../../src/core/errors.js';
import { subscribeWebhook } from '../../../src/core/webhooks/subscribe-webhook.js';
import type {
  WebhookRecord,
  WebhooksAuditEntry,
  WebhooksStore,
} from '../../../src/core/webhooks/webhooks-store.js';
import { publicOnly } from '../../../src/core/outbound/outbound-policy.js';

/**
 * Subscriptions acting as a named member (`asUserId`) and the `member.revoked` audience,
 * against in-memory fakes: who a subscription acts as is one policy function
 * (`webhookPrincipal`), and creating one that names someone else needs users.manage.
 */
const WS = 'ws';

const member = (
  userId: string,
  role: string,
  status: MemberFacts['status'] = 'active',
  restrictions: MemberFacts['restrictions'] = {},
): MemberFacts => ({ userId, name: userId, role, status, restrictions });

/** Integrations without users.manage: may subscribe for themselves only. */
const integrator = {
  id: 'role-integrator',
  name: 'Integrator',
  permissions: { ...noPermissions(), 'chat.view': 'all', 'integrations.manage': 'all' },
} as const;

function facts(...members: MemberFacts[]): WorkspaceAccessFacts {
  return {
    workspaceId: WS,
    members,
    teams: [],
    teamMembers: [],
    customRoles: [integrator],
    bindings: [],
  };
}

const everyone = facts(
  member('owner', 'owner'),
  member('admin', 'admin'),
  member('agent', 'agent', 'active', { maskContactIdentifiers: true }),
  member('integrator', integrator.id),
  member('gone', 'agent', 'suspended'),
  member('left', 'agent', 'revoked'),
);

const principal = (f: WorkspaceAccessFacts, userId: string) => {
  const p = buildPrincipal(f, userId);
  if (!p) throw new Error(userId);
  return p;
};

/** A chat on an account the Agent connected, and one on HQ's account, unassigned. */
const agentsChat: ChatFacts = {
  id: 'c-agent',
  workspaceId: WS,
  channelId: 'ch-agent',
  channelOwner: { type: 'user', userId: 'agent' },
  assignee: null,
  participantIds: [],
};
const hqChat: ChatFacts = {
  id: 'c-hq',
  workspaceId: WS,
  channelId: 'ch-hq',
  channelOwner: { type: 'workspace' },
  assignee: null,
  participantIds: [],
};

describe('webhookPrincipal: whom a subscription acts as', () => {
  it('its creator without asUserId; the named member with it, so their rights and masking decide', () => {
    const own = webhookPrincipal(everyone, { createdBy: 'admin', asUserId: null });
    expect(own?.userId).toBe('admin');
    expect(own && allows(own, 'chat.view', hqChat)).toBe(true);

    const asAgent = webhookPrincipal(everyone, { createdBy: 'admin', asUserId: 'agent' });
    expect(asAgent?.userId).toBe('agent');
    expect(asAgent?.maskContactIdentifiers).toBe(true);
    // The Agent sees the chats of the account they connected, not HQ's unassigned ones.
    expect(asAgent && allows(asAgent, 'chat.view', agentsChat)).toBe(true);
    expect(asAgent && allows(asAgent, 'chat.view', hqChat)).toBe(false);
  });

  it('nobody (the subscription carries nothing) while the named member is suspended or revoked', () => {
    for (const asUserId of ['gone', 'left', 'stranger']) {
      expect(webhookPrincipal(everyone, { createdBy: 'admin', asUserId })).toBeUndefined();
    }
  });

  it('nobody while the creator is not an active member, even when the named member is', () => {
    const creatorGone = facts(member('admin', 'admin', 'suspended'), member('agent', 'agent'));
    expect(
      webhookPrincipal(creatorGone, { createdBy: 'admin', asUserId: 'agent' }),
    ).toBeUndefined();
    expect(webhookPrincipal(creatorGone, { createdBy: 'admin', asUserId: null })).toBeUndefined();
    expect(webhookPrincipal(everyone, { createdBy: null, asUserId: 'agent' })).toBeUndefined();
  });
});

describe('mayViewMembers: the member.revoked audience', () => {
  it('every active member (the member list is every member’s), nobody suspended or revoked', () => {
    expect(mayViewMembers(principal(everyone, 'agent'))).toBe(true);
    expect(mayViewMembers(principal(everyone, 'integrator'))).toBe(true);
    expect(mayViewMembers(principal(everyone, 'gone'))).toBe(false);
    expect(mayViewMembers(principal(everyone, 'left'))).toBe(false);
  });
});

function world() {
  const hooks: WebhookRecord[] = [];
  const audits: WebhooksAuditEntry[] = [];
  const store: WebhooksStore = {
    async transaction(work) {
      const pending: Array<() => void> = [];
      const result = await work({
        insertWebhook: ({ url, events, createdBy, asUserId }) => {
          const hook: WebhookRecord = {
            id: `wh${hooks.length + 1}`,
            url,
            events,
            status: 'active',
            createdBy,
            asUserId,
            createdAt: new Date('2026-12-01T00:00:00Z'),
          };
          pending.push(() => hooks.push(hook));
          return Promise.resolve(hook);
        },
        audit: (entry) => {
          pending.push(() => audits.push(entry));
          return Promise.resolve();
        },
      });
      for (const write of pending) write();
      return result;
    },
    listWebhooks: () => Promise.resolve([...hooks]),
    findWebhook: (_ws, id) => Promise.resolve(hooks.find((h) => h.id === id)),
    listDeliveries: () => Promise.resolve({ items: [], nextCursor: null }),
  };
  const deps = {
    store,
    access: { workspaceAccess: () => Promise.resolve(everyone) },
    outboundPolicy: publicOnly,
  };
  const subscribe = (actor: string, asUserId?: string) =>
    subscribeWebhook(deps, {
      actor: principal(everyone, actor),
      workspaceId: WS,
      url: 'https://crm.example/hook',
      events: ['chat.created', 'member.revoked'],
      ...(asUserId !== undefined ? { asUserId } : {}),
    });
  return { hooks, audits, subscribe };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('subscribeWebhook with asUserId', () => {
  it('an Admin (integrations.manage and users.manage) subscribes as an Agent; stored and audited', async () => {
    const w = world();
    const created = await w.subscribe('admin', 'agent');
    expect(created).toMatchObject({ createdBy: 'admin', asUserId: 'agent' });
    expect(created.events).toEqual(['chat.created', 'member.revoked']);
    expect(w.audits).toEqual([
      expect.objectContaining({
        action: 'webhook.create',
        after: expect.objectContaining({ asUserId: 'agent' }),
      }),
    ]);
    expect((await w.subscribe('admin')).asUserId).toBeNull();
  });

  it('rule: naming someone else needs users.manage — integrations.manage alone may name only oneself', async () => {
    const w = world();
    const refused = await refusal(w.subscribe('integrator', 'agent'));
    expect(refused.code).toBe('forbidden');
    expect(refused.message).toContain('users.manage');
    expect(w.hooks).toEqual([]);
    expect((await w.subscribe('integrator', 'integrator')).asUserId).toBe('integrator');
  });

  it('rule: integrations.manage first — an Agent may not subscribe even as themselves', async () => {
    const w = world();
    const refused = await refusal(w.subscribe('agent', 'agent'));
    expect(refused.code).toBe('forbidden');
    expect(refused.message).toContain('integrations.manage');
  });

  it('a suspended, revoked or unknown member cannot be named: invalid input, nothing written', async () => {
    const w = world();
    for (const asUserId of ['gone', 'left', 'stranger']) {
      const refused = await refusal(w.subscribe('owner', asUserId));
      expect(refused.code).toBe('invalid_input');
    }
    expect(w.hooks).toEqual([]);
    expect(w.audits).toEqual([]);
  });
});
