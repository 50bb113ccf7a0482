import { describe, expect, it } from 'vitest';
import { buildPrincipal, type WorkspaceAccessFacts } from '../../../src/core/access/index.js';
import { isAppError } from '../../../src/core/errors.js';
import { listWebhookDeliveries } from '../../../src/core/webhooks/list-webhook-deliveries.js';
import { listWebhooks } from '../../../src/core/webhooks/list-webhooks.js';
import { replayWebhookDelivery } from '../../../src/core/webhooks/replay-webhook-delivery.js';
import { subscribeWebhook } from '../../../src/core/webhooks/subscribe-webhook.js';
import type {
  WebhookDeliveryRecord,
  WebhookRecord,
  WebhooksAuditEntry,
  WebhooksStore,
} from '../../../src/core/webhooks/webhooks-store.js';
import { publicOnly } from '../../../src/core/outbound/outbound-policy.js';

/**
 * The webhook subscription use cases against in-memory fakes of their ports. The fake store
 * commits a transaction's writes only when its work succeeds.
 */
const WS = 'ws';
const OTHER = 'ws-other';

const facts: WorkspaceAccessFacts = {
  workspaceId: WS,
  members: [
    { userId: 'owner', name: 'owner', role: 'owner', status: 'active', restrictions: {} },
    { userId: 'agent', name: 'agent', role: 'agent', status: 'active', restrictions: {} },
  ],
  teams: [],
  teamMembers: [],
  customRoles: [],
  bindings: [],
};
const as = (userId: string) => {
  const p = buildPrincipal(facts, userId);
  if (!p) throw new Error(userId);
  return p;
};

const delivery = (id: string, status: WebhookDeliveryRecord['status']): WebhookDeliveryRecord => ({
  id,
  eventId: `evt-${id}`,
  eventType: 'message.created',
  chatId: 'chat',
  status,
  attempts: status === 'pending' ? 0 : 3,
  lastStatusCode: status === 'succeeded' ? 200 : 500,
  lastError: null,
  createdAt: new Date(`2026-01-01T00:00:0${id.slice(-1)}Z`),
  deliveredAt: null,
});

function world() {
  const hooks: Array<WebhookRecord & { workspaceId: string; secret: string }> = [
    {
      id: 'wh-other',
      workspaceId: OTHER,
      url: 'https://other.example',
      events: ['*'],
      status: 'active',
      createdBy: 'x',
      asUserId: null,
      createdAt: new Date('2026-01-01T00:00:00Z'),
      secret: 's',
    },
  ];
  const deliveries = new Map<string, WebhookDeliveryRecord[]>([
    ['wh-other', [delivery('d1', 'dead')]],
  ]);
  const audits: WebhooksAuditEntry[] = [];
  const replayed: string[] = [];
  let seq = 0;
  const strip = ({ workspaceId: _w, secret: _s, ...w }: (typeof hooks)[number]) => w;
  const store: WebhooksStore = {
    async transaction(work) {
      const pending: Array<() => void> = [];
      const result = await work({
        insertWebhook: ({ workspaceId, url, events, secret, createdBy, asUserId }) => {
          const hook = {
            id: `wh${++seq}`,
            workspaceId,
            url,
            events,
            secret,
            status: 'active' as const,
            createdBy,
            asUserId,
            createdAt: new Date(Date.UTC(2026, 1, seq)),
          };
          pending.push(() => hooks.push(hook));
          return Promise.resolve(strip(hook));
        },
        audit: (entry) => {
          pending.push(() => audits.push(entry));
          return Promise.resolve();
        },
      });
      for (const write of pending) write();
      return result;
    },
    listWebhooks: (workspaceId) =>
      Promise.resolve(
        hooks
          .filter((h) => h.workspaceId === workspaceId)
          .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
          .map(strip),
      ),
    findWebhook: (workspaceId, webhookId) => {
      const h = hooks.find((x) => x.workspaceId === workspaceId && x.id === webhookId);
      return Promise.resolve(h && strip(h));
    },
    listDeliveries: (_ws, webhookId, { limit, cursor }) => {
      const all = (deliveries.get(webhookId) ?? []).filter((d) => !cursor || d.id < cursor);
      return Promise.resolve({
        items: all.slice(0, limit),
        nextCursor: all.length > limit ? (all[limit - 1]?.id ?? null) : null,
      });
    },
  };
  const replayer = {
    replay: (workspaceId: string, webhookId: string, deliveryId: string) => {
      const d = hooks.some((h) => h.workspaceId === workspaceId && h.id === webhookId)
        ? deliveries.get(webhookId)?.find((x) => x.id === deliveryId)
        : undefined;
      if (!d || (d.status !== 'dead' && d.status !== 'failed')) return Promise.resolve(false);
      d.status = 'pending';
      replayed.push(deliveryId);
      return Promise.resolve(true);
    },
  };
  const access = { workspaceAccess: () => Promise.resolve(facts) };
  return {
    deps: { store, deliveries: replayer, access, outboundPolicy: publicOnly },
    hooks,
    deliveries,
    audits,
    replayed,
  };
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

describe('subscribeWebhook', () => {
  it('only integrations.manage subscribes: an Agent is refused with the permission named, nothing written', async () => {
    const w = world();
    const refused = await refusal(
      subscribeWebhook(w.deps, {
        actor: as('agent'),
        workspaceId: WS,
        url: 'https://crm.example/hook',
        events: ['*'],
      }),
    );
    expect(refused.code).toBe('forbidden');
    expect(refused.message).toContain('integrations.manage');
    expect(w.hooks).toHaveLength(1);
    expect(w.audits).toEqual([]);
  });

  it('subscribes with a made secret, shown once; events deduplicated, `*` alone when asked; audited', async () => {
    const w = world();
    const created = await subscribeWebhook(w.deps, {
      actor: as('owner'),
      workspaceId: WS,
      url: 'https://crm.example/hook',
      events: ['message.created', 'message.created', 'chat.created'],
    });
    expect(created.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(created.events).toEqual(['message.created', 'chat.created']);
    expect(created.createdBy).toBe('owner');
    expect(w.audits).toEqual([
      expect.objectContaining({ action: 'webhook.create', targetId: created.id, workspaceId: WS }),
    ]);
    const all = await subscribeWebhook(w.deps, {
      actor: as('owner'),
      workspaceId: WS,
      url: 'https://crm.example/all',
      events: ['chat.created', '*'],
      secret: 'a-secret-of-sixteen+',
    });
    expect(all.events).toEqual(['*']);
    expect(all.secret).toBe('a-secret-of-sixteen+');
  });

  it('an unknown event type or none at all is invalid input, nothing written', async () => {
    const w = world();
    for (const events of [['chat.deleted'], []] as const) {
      const refused = await refusal(
        subscribeWebhook(w.deps, {
          actor: as('owner'),
          workspaceId: WS,
          url: 'https://crm.example/hook',
          // @ts-expect-error: not a webhook event type, as an adapter without a schema might send
          events,
        }),
      );
      expect(refused.code).toBe('invalid_input');
    }
    expect(w.hooks).toHaveLength(1);
  });
});

describe('listWebhooks', () => {
  it('lists only the workspace’s subscriptions, newest first, to integrations.manage only', async () => {
    const w = world();
    expect(await listWebhooks(w.deps, { actor: as('owner'), workspaceId: WS })).toEqual([]);
    const a = await subscribeWebhook(w.deps, {
      actor: as('owner'),
      workspaceId: WS,
      url: 'https://a.example',
      events: ['*'],
    });
    const b = await subscribeWebhook(w.deps, {
      actor: as('owner'),
      workspaceId: WS,
      url: 'https://b.example',
      events: ['*'],
    });
    const listed = await listWebhooks(w.deps, { actor: as('owner'), workspaceId: WS });
    expect(listed.map((h) => h.id)).toEqual([b.id, a.id]);
    expect(listed[0]).not.toHaveProperty('secret');
    expect(
      (await refusal(listWebhooks(w.deps, { actor: as('agent'), workspaceId: WS }))).code,
    ).toBe('forbidden');
  });
});

describe('listWebhookDeliveries', () => {
  it('pages a subscription’s deliveries; a subscription of another workspace is not found; an agent is refused', async () => {
    const w = world();
    const hook = await subscribeWebhook(w.deps, {
      actor: as('owner'),
      workspaceId: WS,
      url: 'https://a.example',
      events: ['*'],
    });
    w.deliveries.set(hook.id, [delivery('d3', 'dead'), delivery('d2', 'succeeded')]);
    const first = await listWebhookDeliveries(w.deps, {
      actor: as('owner'),
      workspaceId: WS,
      webhookId: hook.id,
      limit: 1,
    });
    expect(first).toEqual({ items: [delivery('d3', 'dead')], nextCursor: 'd3' });
    const second = await listWebhookDeliveries(w.deps, {
      actor: as('owner'),
      workspaceId: WS,
      webhookId: hook.id,
      limit: 1,
      cursor: 'd3',
    });
    expect(second.items.map((d) => d.id)).toEqual(['d2']);
    expect(second.nextCursor).toBeNull();

    const input = { actor: as('owner'), workspaceId: WS, webhookId: 'wh-other', limit: 10 };
    expect((await refusal(listWebhookDeliveries(w.deps, input))).code).toBe('not_found');
    expect(
      (await refusal(listWebhookDeliveries(w.deps, { ...input, actor: as('agent') }))).code,
    ).toBe('forbidden');
  });

  it('a limit outside 1–200 is invalid input', async () => {
    const w = world();
    const hook = await subscribeWebhook(w.deps, {
      actor: as('owner'),
      workspaceId: WS,
      url: 'https://a.example',
      events: ['*'],
    });
    for (const limit of [0, 201, 1.5]) {
      const refused = await refusal(
        listWebhookDeliveries(w.deps, {
          actor: as('owner'),
          workspaceId: WS,
          webhookId: hook.id,
          limit,
        }),
      );
      expect(refused.code).toBe('invalid_input');
    }
  });
});

describe('replayWebhookDelivery', () => {
  it('replays a dead delivery once; again (now pending) or an unknown delivery is a conflict', async () => {
    const w = world();
    const hook = await subscribeWebhook(w.deps, {
      actor: as('owner'),
      workspaceId: WS,
      url: 'https://a.example',
      events: ['*'],
    });
    w.deliveries.set(hook.id, [delivery('d3', 'dead'), delivery('d2', 'succeeded')]);
    const input = { actor: as('owner'), workspaceId: WS, webhookId: hook.id, deliveryId: 'd3' };
    await replayWebhookDelivery(w.deps, input);
    expect(w.replayed).toEqual(['d3']);
    expect((await refusal(replayWebhookDelivery(w.deps, input))).code).toBe('conflict');
    expect(
      (await refusal(replayWebhookDelivery(w.deps, { ...input, deliveryId: 'd2' }))).code,
    ).toBe('conflict');
    expect(
      (await refusal(replayWebhookDelivery(w.deps, { ...input, deliveryId: 'nope' }))).code,
    ).toBe('conflict');
    expect(w.replayed).toEqual(['d3']);
  });

  it('refuses an agent, and finds no subscription of another workspace: nothing replayed', async () => {
    const w = world();
    const input = { actor: as('owner'), workspaceId: WS, webhookId: 'wh-other', deliveryId: 'd1' };
    expect((await refusal(replayWebhookDelivery(w.deps, input))).code).toBe('not_found');
    expect(
      (await refusal(replayWebhookDelivery(w.deps, { ...input, actor: as('agent') }))).code,
    ).toBe('forbidden');
    expect(w.replayed).toEqual([]);
  });
});
