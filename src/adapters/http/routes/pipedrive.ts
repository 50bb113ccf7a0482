import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  pipedriveExtension,
  type PipedriveAnswer,
  type PipedriveQuery,
} from '../../crm/pipedrive-extension.js';
import { pipedriveModalSchema, pipedrivePanelSchema } from '../../crm/pipedrive-panel.js';
import { viaAdapter } from '../../logging/log-context.js';
import type { HttpDeps } from '../context.js';
import { id } from '../schemas.js';

/**
 * Pipedrive's own app extensions (shared/API.md "CRM panels"; issue 20), called by Pipedrive
 * exactly as it calls any app's:
 *
 * - `GET /v1/crm/:integrationId/pipedrive/panel` — the API endpoint of a JSON panel (on the
 *   person, deal or organization detail view);
 * - `GET /v1/crm/:integrationId/pipedrive/modal` — a JSON modal's API endpoint: Pipedrive GETs
 *   it when the modal opens, and `POST`s the form values to the same URL on submit;
 * - `GET /v1/crm/pipedrive/schemas/panel` and `…/schemas/modal` — the JSON schemas to paste
 *   in Developer Hub.
 *
 * All take Pipedrive's query (`resource, view, userId, companyId, selectedIds, isShared,
 * token`) and answer in Pipedrive's shapes, errors included; it is read here by hand rather
 * than by a route schema, so even a malformed request gets an answer Pipedrive can show.
 */
const queryKeys = [
  'resource',
  'view',
  'userId',
  'companyId',
  'selectedIds',
  'isShared',
  'token',
] as const;

/** The query's known keys as strings (a repeated key: its first value; anything long: dropped). */
function pipedriveQuery(request: FastifyRequest): PipedriveQuery {
  const raw = (request.query ?? {}) as Record<string, unknown>;
  const query: PipedriveQuery = {};
  for (const key of queryKeys) {
    const value: unknown = Array.isArray(raw[key]) ? (raw[key] as unknown[])[0] : raw[key];
    if (typeof value === 'string' && value.length <= 4096) query[key] = value;
  }
  return query;
}

const header = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

const send = (reply: FastifyReply, answer: PipedriveAnswer) =>
  reply.status(answer.status).send(answer.body);

export function pipedriveRoutes(app: FastifyInstance, deps: HttpDeps): void {
  void app.register((scoped, _options, done) => {
    const pipedrive = pipedriveExtension(deps, { log: scoped.log });
    scoped.addHook('preHandler', (_request, _reply, next) => viaAdapter('crm', next));
    const r = scoped.withTypeProvider<ZodTypeProvider>();
    const params = z.object({ integrationId: id });
    const tags = ['CRM panels'];
    const asPipedrive = (request: FastifyRequest<{ Params: { integrationId: string } }>) => ({
      integrationId: request.params.integrationId,
      query: pipedriveQuery(request),
      authorization: header(request.headers.authorization),
    });

    r.get(
      '/v1/crm/:integrationId/pipedrive/panel',
      {
        schema: {
          security: [],
          tags,
          summary:
            'Pipedrive JSON panel: the chats of the person, deal or organization, as the mapped member sees them',
          params,
        },
      },
      async (request, reply) => send(reply, await pipedrive.panel(asPipedrive(request))),
    );

    r.get(
      '/v1/crm/:integrationId/pipedrive/modal',
      {
        schema: {
          security: [],
          tags,
          summary: 'Pipedrive JSON modal, opened: the conversations to reply to',
          params,
        },
      },
      async (request, reply) => send(reply, await pipedrive.modalOpen(asPipedrive(request))),
    );

    r.post(
      '/v1/crm/:integrationId/pipedrive/modal',
      {
        schema: {
          security: [],
          tags,
          summary: 'Pipedrive JSON modal, submitted: reply within the member’s reply rule',
          params,
        },
      },
      async (request, reply) =>
        send(reply, await pipedrive.modalSubmit(asPipedrive(request), request.body)),
    );

    r.get(
      '/v1/crm/pipedrive/schemas/:kind',
      {
        schema: {
          security: [],
          tags,
          summary: 'The JSON schema to upload in Pipedrive’s Developer Hub (panel or modal)',
          params: z.object({ kind: z.enum(['panel', 'modal']) }),
        },
      },
      (request, reply) =>
        reply.send(request.params.kind === 'panel' ? pipedrivePanelSchema : pipedriveModalSchema),
    );
    done();
  });
}
