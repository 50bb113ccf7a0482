import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { replyToChat } from '../../../core/chats/reply-to-chat.js';
import { phoneSchema } from '../../../core/contacts/phone.js';
import { linkCrmRecord } from '../../../core/crm/link-crm-record.js';
import { listContactChats, type ContactKey } from '../../../core/crm/list-contact-chats.js';
import { panelContext, resolvePanelMember } from '../../../core/crm/panel-member.js';
import { AppError, issueDetails } from '../../../core/errors.js';
import type { IntegrationRecord } from '../../../core/integrations/integrations-store.js';
import { readHistory } from '../../../core/chats/read-history.js';
import { chatReads } from '../../db/chat-reads.js';
import { contactChatsSource, crmRecordsStore } from '../../db/crm-store.js';
import { firstSighting, integrationsStore } from '../../db/integrations-store.js';
import { viaAdapter } from '../../logging/log-context.js';
import { chatSchema, presentChatPage } from '../../present/chat.js';
import { messageSchema, presentHistory } from '../../present/message.js';
import { replyDeps, replyJson, type HttpDeps } from '../context.js';
import { email, id } from '../schemas.js';
import { verifySignature } from '../signature.js';

/**
 * The generic CRM panel endpoints (shared/API.md "CRM panels"): requests a CRM's server signs
 * with its integration's secret — a Pipedrive integration's JWT secret — (`X-Switchboard-
 * Timestamp`, `X-Switchboard-Signature`, 5 minutes, each signature usable once), each acting as the member it names by email, under
 * that member's rules — their scope, their reply rule, their masking — plus CRM precedence for
 * reading history. An unknown integration and a bad signature answer alike (401).
 */
const userEmail = email;
const limit = z.number().int().min(1).max(100).default(20);

const contactQuery = z
  .object({
    userEmail,
    phone: phoneSchema.optional(),
    email: email.optional(),
    record: z
      .object({ type: z.string().min(1).max(50), id: z.string().min(1).max(100) })
      .optional(),
    limit,
  })
  .refine((q) => q.phone ?? q.email ?? q.record, {
    message: 'name the contact: phone, email or record',
  });

const recordParams = z.object({
  integrationId: id,
  type: z.string().min(1).max(50),
  id: z.string().min(1).max(100),
});

export function crmRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const integrations = integrationsStore(deps.db);
  const replies = replyDeps(deps);
  const records = { store: crmRecordsStore(deps.db), identity: deps.identity, access: deps.access };
  const contactChats = {
    access: deps.access,
    chats: contactChatsSource(deps.db),
    reads: chatReads(deps.db),
  };

  /** The integration a signed request is for, once its signature is good and new; else 401. */
  async function signedBy(request: FastifyRequest, integrationId: string): Promise<CrmKind> {
    const integration = await integrations.find(integrationId);
    const raw = typeof request.body === 'string' ? request.body : '';
    const signature = header(request.headers['x-switchboard-signature']);
    // A generic CRM signs with its secret; a Pipedrive app's server with its JWT secret.
    const key =
      integration?.type === 'crm'
        ? integration.secret
        : integration?.type === 'pipedrive'
          ? integration.jwtSecret
          : undefined;
    if (!integration || integration.type === 'slack' || !key) {
      throw new AppError('unauthorized', 'the signature does not match');
    }
    verifySignature(
      key,
      { timestamp: header(request.headers['x-switchboard-timestamp']), signature },
      raw,
      deps.now(),
    );
    if (!(await firstSighting(deps.db, integration.id, signature ?? ''))) {
      throw new AppError('unauthorized', 'this request was sent before (a replay)');
    }
    return integration;
  }

  /** The body, parsed and validated once the signature is known good. */
  function bodyOf<S extends z.ZodType>(request: FastifyRequest, schema: S): z.output<S> {
    let json: unknown;
    try {
      json = JSON.parse(typeof request.body === 'string' ? request.body : '');
    } catch {
      throw new AppError('invalid_input', 'the request body is not valid JSON', {
        details: [{ path: 'body', message: 'not valid JSON' }],
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new AppError('invalid_input', 'the request body is not valid', {
        details: issueDetails(parsed.error.issues, 'body'),
      });
    }
    return parsed.data;
  }

  const member = (integration: CrmKind, who: string) =>
    resolvePanelMember(deps, integration.workspaceId, { email: who });

  void app.register((scoped, _options, done) => {
    // Signed bodies are read raw: the signature covers the exact bytes.
    scoped.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, parsed) =>
      parsed(null, body),
    );
    scoped.addHook('preHandler', (_request, _reply, next) => viaAdapter('crm', next));
    const r = scoped.withTypeProvider<ZodTypeProvider>();
    const integrationParams = z.object({ integrationId: id });
    const signed = { security: [], tags: ['CRM panels'] };

    r.post(
      '/v1/crm/:integrationId/chats-for-contact',
      {
        schema: {
          ...signed,
          summary: 'The chats of a contact that the named member may see, newest first (signed)',
          params: integrationParams,
          response: { 200: z.object({ items: z.array(chatSchema) }) },
        },
      },
      async (request) => {
        const integration = await signedBy(request, request.params.integrationId);
        const query = bodyOf(request, contactQuery);
        const { principal } = await member(integration, query.userEmail);
        const contacts: ContactKey[] = [
          ...(query.phone ? [{ phone: query.phone }] : []),
          ...(query.email ? [{ email: query.email }] : []),
          ...(query.record ? [{ record: { integrationId: integration.id, ...query.record } }] : []),
        ];
        const chats = await listContactChats(contactChats, {
          actor: principal,
          workspaceId: integration.workspaceId,
          contacts,
          limit: query.limit,
        });
        return { items: presentChatPage(principal, { items: chats, nextCursor: null }).items };
      },
    );

    r.post(
      '/v1/crm/:integrationId/chats/:chatId/messages/list',
      {
        schema: {
          ...signed,
          summary: 'A chat’s history for the named member (CRM precedence counts here) (signed)',
          params: z.object({ integrationId: id, chatId: id }),
          response: {
            200: z.object({ items: z.array(messageSchema), nextCursor: z.string().nullable() }),
          },
        },
      },
      async (request) => {
        const integration = await signedBy(request, request.params.integrationId);
        const query = bodyOf(
          request,
          z.object({ userEmail, limit: limit.default(50), cursor: z.string().max(500).optional() }),
        );
        const { principal } = await member(integration, query.userEmail);
        const history = await readHistory(contactChats, {
          actor: principal,
          workspaceId: integration.workspaceId,
          chatId: request.params.chatId,
          limit: query.limit,
          cursor: query.cursor,
          context: panelContext,
        });
        return presentHistory(principal, history);
      },
    );

    r.post(
      '/v1/crm/:integrationId/messages',
      {
        schema: {
          ...signed,
          summary: 'Reply as the named member, within their reply rule (signed)',
          params: integrationParams,
          response: { 201: z.object({ message: messageSchema }) },
        },
      },
      async (request, reply) => {
        const integration = await signedBy(request, request.params.integrationId);
        const body = bodyOf(
          request,
          z.object({
            userEmail,
            chatId: id,
            text: z.string().trim().min(1).max(4096),
            channelId: id.optional(),
          }),
        );
        const { principal } = await member(integration, body.userEmail);
        const stored = await replyToChat(replies, {
          principal,
          chatId: body.chatId,
          text: body.text,
          ...(body.channelId ? { channelId: body.channelId } : {}),
        });
        return reply.status(201).send({ message: await replyJson(deps, principal, stored) });
      },
    );

    r.put(
      '/v1/crm/:integrationId/records/:type/:id',
      {
        schema: {
          ...signed,
          summary:
            'Link a CRM record to contacts or chats; the members named may read their history in the panel (signed)',
          params: recordParams,
          response: {
            200: z.object({
              record: z.object({
                type: z.string(),
                id: z.string(),
                chats: z.number(),
                userIds: z.array(z.string()),
              }),
            }),
          },
        },
      },
      async (request) => {
        const integration = await signedBy(request, request.params.integrationId);
        const body = bodyOf(
          request,
          z.object({
            contactIds: z.array(id).max(1000).default([]),
            chatIds: z.array(id).max(1000).default([]),
            userEmails: z.array(email).max(1000),
          }),
        );
        const linked = await linkCrmRecord(records, {
          integration,
          recordType: request.params.type,
          recordId: request.params.id,
          ...body,
        });
        return {
          record: { type: request.params.type, id: request.params.id, ...linked },
        };
      },
    );
    done();
  });
}

/** The integrations whose servers sign panel requests. */
type CrmKind = Exclude<IntegrationRecord, { type: 'slack' }>;

const header = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;
