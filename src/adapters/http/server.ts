import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../core/errors.js';
import { trackRequests } from '../logging/log-context.js';
import { instrumentServer } from '../metrics/http.js';
import type { Metrics } from '../metrics/metrics.js';
import { errorBody, handleError } from './errors.js';
import { discardBody } from './oversized-body.js';
import { registerRateLimits, type RateLimitSettings } from './rate-limits.js';
import type { Redis } from 'ioredis';

/** A readiness check: resolves when the dependency answers, rejects otherwise. */
export type HealthCheck = () => Promise<void>;

export interface ServerOptions {
  loggerInstance?: FastifyServerOptions['loggerInstance'];
  logger?: FastifyServerOptions['logger'];
  bodyLimitBytes: number;
  /**
   * How much of a body over the limit is read and thrown away so the client, still writing,
   * receives the 413 (default 16 × the limit); a larger body gets the 413 and a closed connection.
   */
  bodyDiscardLimitBytes?: number;
  /** Dependencies that must answer for `/readyz` to be 200: database, queue… */
  readiness: Record<string, HealthCheck>;
  /** How long one readiness check may take before it counts as failed. */
  readinessTimeoutMs?: number;
  /** The API's routes (main.ts passes `registerApiRoutes` with its dependencies). */
  routes?: (app: App) => void;
  /** Times requests; with `route`, serves `GET /metrics` here as well. */
  metrics?: { metrics: Metrics; route: boolean };
  /** Request rate limits (`rate-limits.ts`), counted in `redis` when given; absent: none. */
  rateLimits?: { settings: RateLimitSettings; redis?: Redis; nameSpace?: string };
}

export type App = FastifyInstance;

const readinessBody = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), z.string()),
});

export async function buildServer(options: ServerOptions): Promise<App> {
  const app = Fastify({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance }
      : { logger: options.logger ?? false }),
    bodyLimit: options.bodyLimitBytes,
    // Behind a proxy the client's address comes from X-Forwarded-For.
    trustProxy: true,
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const discardBound = options.bodyDiscardLimitBytes ?? 16 * options.bodyLimitBytes;
  app.setErrorHandler(async (error, request, reply) => {
    if ((error as Partial<FastifyError>).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // Answered once the client has sent it all, or the connection is closed (see discardBody).
      if (!(await discardBody(request.raw, discardBound))) reply.header('connection', 'close');
    }
    return handleError(error, request, reply);
  });
  trackRequests(app);
  if (options.metrics) instrumentServer(app, options.metrics.metrics, options.metrics);
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(errorBody(new AppError('not_found', `no route ${request.method} ${request.url}`))),
  );

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Switchboard API',
        version: '1',
        description: 'Access control and routing for team chat on business messaging channels.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  if (options.rateLimits) {
    const { settings, redis, nameSpace } = options.rateLimits;
    await registerRateLimits(app, settings, redis, nameSpace);
  }

  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process answers',
        security: [],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    () => ({ status: 'ok' as const }),
  );

  const timeoutMs = options.readinessTimeoutMs ?? 2_000;
  typed.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the database and the job queue answer',
        security: [],
        response: { 200: readinessBody, 503: readinessBody },
      },
    },
    async (_request, reply) => {
      const entries = await Promise.all(
        Object.entries(options.readiness).map(async ([name, check]) => {
          try {
            await withTimeout(check(), timeoutMs);
            return [name, 'ok'] as const;
          } catch (error) {
            return [
              name,
              `error: ${error instanceof Error ? error.message : String(error)}`,
            ] as const;
          }
        }),
      );
      const ready = entries.every(([, result]) => result === 'ok');
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(entries) });
    },
  );

  typed.get(
    '/v1/openapi.json',
    { schema: { hide: true } },
    () => app.swagger() as unknown as Record<string, unknown>,
  );

  options.routes?.(app);
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
