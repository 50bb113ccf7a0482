import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { AppError } from '../../../core/errors.js';
import {
  allows,
  audience,
  buildPrincipal,
  buildPrincipals,
  check,
  checkPermission,
  chatActions,
  redact,
  teamAndSubteams,
  type ChatFacts,
  type ChatListFilter,
} from '../../../core/access/index.js';
import { loadChatFacts } from '../../db/access/load-access.js';
import {
  decodeCursor,
  encodeCursor,
  listVisibleChats,
  type ChatListItem,
} from '../../db/access/list-visible-chats.js';
import { requireMember, type MemberContext, type HttpDeps } from '../context.js';
import { id, iso, user, wsParams } from '../schemas.js';

const chat = z.object({
  id: z.string(),
  channelId: z.string(),
  externalId: z.string(),
  contact: z.object({
    id: z.string(),
    name: z.string(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
  }),
  assignee: z.object({ type: z.enum(['user', 'team']), id: z.string() }).nullable(),
  lastMessageAt: z.string(),
  lastMessagePreview: z.string(),
});

const message = z.object({
  id: z.string(),
  direction: z.enum(['in', 'out']),
  text: z.string(),
  authorUserId: z.string().optional(),
  channelId: z.string(),
  sentAt: z.string(),
  status: z.string(),
});

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

const chatJson = (c: ChatListItem) => ({
  id: c.id,
  channelId: c.channelId,
  externalId: c.externalId,
  contact: c.contact,
  assignee: c.assignee
    ? {
        type: c.assignee.type,
        id: c.assignee.type === 'user' ? c.assignee.userId : c.assignee.teamId,
      }
    : null,
  lastMessageAt: iso(c.lastMessageAt),
  lastMessagePreview: c.lastMessagePreview,
});

/** A chat the caller may view, or not found: a chat they may not see does not exist for them. */
async function visibleChat(deps: HttpDeps, ctx: MemberContext, chatId: string): Promise<ChatFacts> {
  const [facts] = await loadChatFacts(deps.db, ctx.principal.workspaceId, [chatId]);
  if (!facts || !allows(ctx.principal, 'chat.view', facts))
    throw new AppError('not_found', 'no such chat');
  return facts;
}

async function chatItem(
  deps: HttpDeps,
  workspaceId: string,
  chatId: string,
): Promise<ChatListItem> {
  const row = await deps.db
    .selectFrom('chats as c')
    .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
    .select([
      'c.id',
      'c.channel_id',
      'c.external_id',
      'c.assignee_user_id',
      'c.assignee_team_id',
      'c.last_message_at',
      'c.last_message_preview',
      'ct.id as contact_id',
      'ct.name',
      'ct.phone',
      'ct.email',
    ])
    .where('c.workspace_id', '=', workspaceId)
    .where('c.id', '=', chatId)
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    channelId: row.channel_id,
    externalId: row.external_id,
    contact: { id: row.contact_id, name: row.name, phone: row.phone, email: row.email },
    assignee: row.assignee_user_id
      ? { type: 'user', userId: row.assignee_user_id }
      : row.assignee_team_id
        ? { type: 'team', teamId: row.assignee_team_id }
        : null,
    lastMessageAt: row.last_message_at,
    lastMessagePreview: row.last_message_preview,
  };
}

export function chatRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/workspaces/:ws/chats',
    {
      schema: {
        summary: 'The chats the caller may see, newest activity first',
        params: wsParams,
        querystring: listQuery.extend({
          assignee: z.string().max(100).optional(),
          teamId: id.optional(),
        }),
        response: { 200: z.object({ items: z.array(chat), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => {
      const ctx = await requireMember(deps, request, request.params.ws);
      const q = request.query;
      const filter: ChatListFilter = {};
      if (q.assignee === 'me') filter.assignee = { type: 'me' };
      else if (q.assignee === 'unassigned') filter.assignee = { type: 'unassigned' };
      else if (q.assignee) filter.assignee = { type: 'user', userId: q.assignee };
      if (q.teamId) {
        const teams = teamAndSubteams(ctx.facts, q.teamId);
        if (!teams.length)
          throw new AppError('invalid_input', 'no such team', {
            details: [{ path: 'query.teamId', message: 'not an active team of this workspace' }],
          });
        filter.assigneeTeamIds = teams;
      }
      if (q.cursor) decodeCursor(q.cursor);
      const page = await listVisibleChats(deps.db, ctx.principal, {
        limit: q.limit,
        cursor: q.cursor ?? null,
        filter,
      });
      return redact(ctx.principal, {
        items: page.items.map(chatJson),
        nextCursor: page.nextCursor,
      });
    },
  );

  const chatParams = z.object({ ws: id, chatId: id });

  r.get(
    '/v1/workspaces/:ws/chats/:chatId',
    { schema: { summary: 'One chat', params: chatParams, response: { 200: z.object({ chat }) } } },
    async (request) => {
      const ctx = await requireMember(deps, request, request.params.ws);
      await visibleChat(deps, ctx, request.params.chatId);
      return redact(ctx.principal, {
        chat: chatJson(await chatItem(deps, request.params.ws, request.params.chatId)),
      });
    },
  );

  r.get(
    '/v1/workspaces/:ws/chats/:chatId/messages',
    {
      schema: {
        summary: 'A chat’s history, newest first',
        params: chatParams,
        querystring: listQuery,
        response: { 200: z.object({ items: z.array(message), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => {
      const ctx = await requireMember(deps, request, request.params.ws);
      const facts = await visibleChat(deps, ctx, request.params.chatId);
      const { limit, cursor } = request.query;
      let query = deps.db
        .selectFrom('messages')
        .select(['id', 'direction', 'text', 'author_user_id', 'channel_id', 'sent_at', 'status'])
        .select(
          sql<string>`to_char(sent_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
            'cursor_at',
          ),
        )
        .where('workspace_id', '=', ctx.principal.workspaceId)
        .where('chat_id', '=', facts.id);
      if (cursor) {
        const c = decodeCursor(cursor);
        query = query.where(sql<boolean>`(sent_at, id) < (${c.at}::timestamptz, ${c.id})`);
      }
      const rows = await query
        .orderBy('sent_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const last = rows[limit - 1];
      const [contact] = await deps.db
        .selectFrom('contacts as ct')
        .innerJoin('chats as c', 'c.contact_id', 'ct.id')
        .select(['ct.phone', 'ct.email'])
        .where('c.id', '=', facts.id)
        .execute();
      return redact(
        ctx.principal,
        {
          items: rows.slice(0, limit).map((m) => ({
            id: m.id,
            direction: m.direction,
            text: m.text,
            ...(m.author_user_id ? { authorUserId: m.author_user_id } : {}),
            channelId: m.channel_id,
            sentAt: iso(m.sent_at),
            status: m.status,
          })),
          nextCursor:
            rows.length > limit && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
        },
        { phones: [contact?.phone], emails: [contact?.email] },
      );
    },
  );

  r.get(
    '/v1/workspaces/:ws/chats/:chatId/audience',
    {
      schema: {
        summary: 'Who can see (or answer) this chat',
        params: chatParams,
        querystring: z.object({ action: z.enum(chatActions).default('chat.view') }),
        response: { 200: z.object({ users: z.array(user) }) },
      },
    },
    async (request) => {
      const ctx = await requireMember(deps, request, request.params.ws);
      const facts = await visibleChat(deps, ctx, request.params.chatId);
      const who = audience(buildPrincipals(ctx.facts), request.query.action, facts);
      const users = await deps.db
        .selectFrom('users')
        .select(['id', 'email', 'name'])
        .where('id', 'in', who.length ? who.map((p) => p.userId) : [''])
        .orderBy('name')
        .execute();
      return { users };
    },
  );

  r.get(
    '/v1/workspaces/:ws/access/explain',
    {
      schema: {
        summary: 'Can this user do this action on this chat, and why',
        params: wsParams,
        querystring: z.object({
          userId: id,
          chatId: id,
          action: z.enum(chatActions).default('chat.view'),
        }),
        response: {
          200: z.object({ allowed: z.boolean(), level: z.string(), reasons: z.array(z.string()) }),
        },
      },
    },
    async (request) => {
      const ctx = await requireMember(deps, request, request.params.ws);
      const { userId, chatId, action } = request.query;
      // Anyone may ask about themselves; asking about others is an admin's question.
      if (
        userId !== ctx.principal.userId &&
        !checkPermission(ctx.principal, 'users.manage').allowed
      ) {
        throw new AppError('forbidden', 'explaining another user’s access needs users.manage');
      }
      const subject = buildPrincipal(ctx.facts, userId);
      if (!subject) throw new AppError('not_found', 'no such member');
      const [facts] = await loadChatFacts(deps.db, ctx.principal.workspaceId, [chatId]);
      // The asker must see the chat themselves: explain never confirms a hidden chat exists.
      if (!facts || !allows(ctx.principal, 'chat.view', facts))
        throw new AppError('not_found', 'no such chat');
      return check(subject, action, facts);
    },
  );
}
