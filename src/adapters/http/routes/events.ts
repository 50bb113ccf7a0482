import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireMember, type HttpDeps } from '../context.js';
import { wsParams } from '../schemas.js';

/** `GET /v1/workspaces/:ws/events`: server-sent events, only what the caller may see. */
export function eventRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/workspaces/:ws/events',
    {
      schema: {
        summary:
          'Live events (text/event-stream), filtered by the caller’s rights and redacted for them',
        description:
          'Chat events (`chat.created`, `message.created`, `message.status_changed` with the ' +
          'message and its new delivery state, `chat.assignee_changed`, ' +
          '`chat.participant_added`) for chats the caller may see; `channel.status` for channel ' +
          'accounts the caller may connect; `access.ended` when the caller’s access ends.',
        params: wsParams,
      },
    },
    async (request, reply) => {
      const { principal, facts } = await requireMember(deps, request, request.params.ws);
      deps.live.open(reply, principal, facts);
    },
  );
}
