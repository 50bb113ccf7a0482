import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { chatActions } from '../../../core/access/index.js';
import { explainAccess } from '../../../core/access/explain-access.js';
import { listAudience } from '../../../core/access/list-audience.js';
import { chatReads, usersByName } from '../../db/chat-reads.js';
import { assignmentStore } from '../../db/chat-stores.js';
import { countChats } from '../../../core/chats/count-chats.js';
import { listChats } from '../../../core/chats/list-chats.js';
import { readHistory } from '../../../core/chats/read-history.js';
import { viewChat } from '../../../core/chats/view-chat.js';
import { assignChat } from '../../../core/chats/assign-chat.js';
import { replyToChat } from '../../../core/chats/reply-to-chat.js';
import { addParticipant } from '../../../core/chats/add-participant.js';
import { rateChat } from '../../../core/chats/rate-chat.js';
import { chatActionsStore } from '../../db/chat-actions-store.js';
import {
  chatDetailSchema,
  chatSchema as chat,
  presentChat,
  presentChatDetail,
  presentChatPage,
} from '../../present/chat.js';
import { messageSchema as message, presentHistory } from '../../present/message.js';
import { replyDeps, replyJson, requireMember, type HttpDeps } from '../context.js';
import { id, user, wsParams } from '../schemas.js';

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

export function chatRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const reads = { access: deps.access, reads: chatReads(deps.db) };

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
      const { principal } = await requireMember(deps, request, request.params.ws);
      const { limit, cursor, assignee, teamId } = request.query;
      const page = await listChats(reads, {
        actor: principal,
        workspaceId: request.params.ws,
        limit,
        cursor: cursor ?? null,
        ...(assignee ? { assignee } : {}),
        ...(teamId ? { teamId } : {}),
      });
      return presentChatPage(principal, page);
    },
  );

  r.get(
    '/v1/workspaces/:ws/chats/counts',
    {
      schema: {
        summary:
          'Badges for the chat list: chats assigned to the caller, unassigned ones and all they may see',
        params: wsParams,
        response: {
          200: z.object({
            mine: z.number().int(),
            unassigned: z.number().int(),
            all: z.number().int(),
          }),
        },
      },
    },
    async (request) => {
      const { principal } = await requireMember(deps, request, request.params.ws);
      return countChats(reads, { actor: principal, workspaceId: request.params.ws });
    },
  );

  const chatParams = z.object({ ws: id, chatId: id });

  r.get(
    '/v1/workspaces/:ws/chats/:chatId',
    {
      schema: {
        summary:
          'One chat, with why it was routed where it was (`routing`, null if never routed) and who joined it (`participants`)',
        params: chatParams,
        response: {
          200: z.object({ chat: chatDetailSchema }),
        },
      },
    },
    async (request) => {
      const { ws, chatId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const view = await viewChat(reads, { actor: principal, workspaceId: ws, chatId });
      return {
        chat: presentChatDetail(principal, view.chat, view.routing, view.participantIds),
      };
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
      const { ws, chatId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const history = await readHistory(reads, {
        actor: principal,
        workspaceId: ws,
        chatId,
        ...request.query,
      });
      return presentHistory(principal, history);
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
      const who = await listAudience(deps, {
        workspaceId: ctx.principal.workspaceId,
        chatId: request.params.chatId,
        action: request.query.action,
        asker: ctx.principal,
      });
      return {
        users: await usersByName(
          deps.db,
          who.map((p) => p.userId),
        ),
      };
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
      return explainAccess(deps, {
        workspaceId: ctx.principal.workspaceId,
        ...request.query,
        asker: ctx.principal,
      });
    },
  );
}

/** Reply, assignment, participants and rating: each decided by the same `check`. */
export function chatActionRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const chatParams = z.object({ ws: id, chatId: id });
  const replies = replyDeps(deps);
  const assignments = { access: deps.access, store: assignmentStore(deps.db), events: deps.events };
  const participantsAndRatings = {
    access: deps.access,
    store: chatActionsStore(deps.db),
    events: deps.events,
  };

  r.post(
    '/v1/workspaces/:ws/chats/:chatId/messages',
    {
      schema: {
        summary:
          'Reply, under the reply rule (PRODUCT.md §3.3); channelId picks the account to send through',
        params: chatParams,
        body: z.object({ text: z.string().trim().min(1).max(4096), channelId: id.optional() }),
        response: { 201: z.object({ message }) },
      },
    },
    async (request, reply) => {
      const ctx = await requireMember(deps, request, request.params.ws);
      const stored = await replyToChat(replies, {
        principal: ctx.principal,
        chatId: request.params.chatId,
        text: request.body.text,
        ...(request.body.channelId ? { channelId: request.body.channelId } : {}),
      });
      return reply.status(201).send({ message: await replyJson(deps, ctx.principal, stored) });
    },
  );

  r.put(
    '/v1/workspaces/:ws/chats/:chatId/assignee',
    {
      schema: {
        summary: 'Assign the chat to a member or a team, or unassign it (null)',
        params: chatParams,
        body: z.object({ type: z.enum(['user', 'team']), id }).nullable(),
        response: { 200: z.object({ chat }) },
      },
    },
    async (request) => {
      const { ws, chatId } = request.params;
      const ctx = await requireMember(deps, request, ws);
      const body = request.body;
      const assigned = await assignChat(assignments, {
        principal: ctx.principal,
        chatId,
        target:
          body === null
            ? null
            : body.type === 'user'
              ? { type: 'user', userId: body.id }
              : { type: 'team', teamId: body.id },
      });
      return { chat: presentChat(ctx.principal, assigned) };
    },
  );

  r.post(
    '/v1/workspaces/:ws/chats/:chatId/participants',
    {
      schema: {
        summary: 'Add a participant: yourself (chat.join) or a colleague (chat.assign)',
        params: chatParams,
        body: z.object({ userId: id }),
        response: { 201: z.object({ participant: z.object({ userId: z.string() }) }) },
      },
    },
    async (request, reply) => {
      const { ws, chatId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const participant = await addParticipant(participantsAndRatings, {
        actor: principal,
        workspaceId: ws,
        chatId,
        userId: request.body.userId,
      });
      return reply.status(201).send({ participant });
    },
  );

  r.post(
    '/v1/workspaces/:ws/chats/:chatId/rating',
    {
      schema: {
        summary: 'Rate the conversation (1–5)',
        params: chatParams,
        body: z.object({
          score: z.number().int().min(1).max(5),
          comment: z.string().max(2000).optional(),
        }),
        response: {
          201: z.object({
            rating: z.object({ id: z.string(), score: z.number(), comment: z.string().nullable() }),
          }),
        },
      },
    },
    async (request, reply) => {
      const { ws, chatId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const rating = await rateChat(participantsAndRatings, {
        actor: principal,
        workspaceId: ws,
        chatId,
        score: request.body.score,
        ...(request.body.comment !== undefined ? { comment: request.body.comment } : {}),
      });
      return reply.status(201).send({ rating });
    },
  );
}
