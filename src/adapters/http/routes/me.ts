import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TokenRecord } from '../../../core/identity/account-store.js';
import {
  createMyToken,
  describeMe,
  listMyTokens,
  revokeMyToken,
} from '../../../core/identity/my-account.js';
import { accountStore } from '../../db/account-store.js';
import { authenticate, type HttpDeps } from '../context.js';
import { id, user } from '../schemas.js';

const token = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});

const presentToken = (t: TokenRecord) => ({
  id: t.id,
  name: t.name,
  createdAt: t.createdAt.toISOString(),
  lastUsedAt: t.lastUsedAt ? t.lastUsedAt.toISOString() : null,
});

/** The caller's own account: who they are, their workspaces, their API tokens (issue 22). */
export function meRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const account = { store: accountStore(deps.db), access: deps.access, now: () => deps.now() };

  r.get(
    '/v1/me',
    {
      schema: {
        summary: 'The caller and the workspaces they are a member of, with role and status',
        response: {
          200: z.object({
            user,
            workspaces: z.array(
              z.object({
                id: z.string(),
                name: z.string(),
                organizationId: z.string(),
                role: z.string(),
                status: z.enum(['active', 'suspended']),
                /** The effective level of each permission there (roles, then restrictions). */
                permissions: z.record(z.string(), z.string()),
              }),
            ),
          }),
        },
      },
    },
    async (request) => describeMe(account, { user: await authenticate(deps, request) }),
  );

  r.get(
    '/v1/me/tokens',
    {
      schema: {
        summary: 'The caller’s API tokens: name, created, last used — never the secret',
        response: { 200: z.object({ items: z.array(token) }) },
      },
    },
    async (request) => ({
      items: (await listMyTokens(account, { user: await authenticate(deps, request) })).map(
        presentToken,
      ),
    }),
  );

  r.post(
    '/v1/me/tokens',
    {
      schema: {
        summary: 'A new API token; its secret is in this answer only',
        body: z.object({ name: z.string().trim().min(1).max(100).optional() }).default({}),
        response: { 201: z.object({ token: token.extend({ secret: z.string() }) }) },
      },
    },
    async (request, reply) => {
      const created = await createMyToken(account, {
        user: await authenticate(deps, request),
        ...(request.body.name ? { name: request.body.name } : {}),
      });
      return reply.status(201).send({ token: { ...presentToken(created), secret: created.token } });
    },
  );

  r.delete(
    '/v1/me/tokens/:tokenId',
    {
      schema: {
        summary: 'Revoke one of the caller’s tokens: refused from the next request on',
        params: z.object({ tokenId: id }),
      },
    },
    async (request, reply) => {
      await revokeMyToken(account, {
        user: await authenticate(deps, request),
        tokenId: request.params.tokenId,
      });
      return reply.status(204).send();
    },
  );
}
