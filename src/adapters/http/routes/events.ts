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
        params: wsParams,
      },
    },
    async (request, reply) => {
      const { principal, facts } = await requireMember(deps, request, request.params.ws);
      deps.live.open(reply, principal, facts);
    },
  );
}
