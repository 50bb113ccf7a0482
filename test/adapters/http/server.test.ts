import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildServer, type App, type HealthCheck } from '../../../src/adapters/http/server.js';
import { AppError } from '../../../src/core/errors.js';

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(readiness: Record<string, HealthCheck> = {}, extra?: (app: App) => void) {
  app = await buildServer({ bodyLimitBytes: 1024, readiness, readinessTimeoutMs: 200 });
  extra?.(app);
  await app.ready();
  return app;
}

const ok: HealthCheck = () => Promise.resolve();

describe('health', () => {
  it('GET /healthz answers while the process lives', async () => {
    const res = await (await serve()).inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz is 200 when the database and the queue answer', async () => {
    const res = await (await serve({ database: ok, queue: ok })).inject({ url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', checks: { database: 'ok', queue: 'ok' } });
  });

  it('GET /readyz is 503 and says which dependency failed', async () => {
    const down: HealthCheck = () => Promise.reject(new Error('connection refused'));
    const res = await (await serve({ database: down, queue: ok })).inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      status: 'not_ready',
      checks: { database: 'error: connection refused', queue: 'ok' },
    });
  });

  it('GET /readyz does not hang on a dependency that never answers', async () => {
    const hangs: HealthCheck = () => new Promise(() => undefined);
    const res = await (await serve({ database: ok, queue: hangs })).inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.queue).toBe('error: no answer within 200 ms');
  });
});

describe('errors follow the contract', () => {
  const withRoutes = (a: App) => {
    const typed = a.withTypeProvider<ZodTypeProvider>();
    typed.post(
      '/probe',
      {
        schema: {
          body: z.object({ name: z.string().min(1), owner: z.object({ email: z.email() }) }),
        },
      },
      (req) => ({ hello: req.body.name }),
    );
    typed.get('/forbidden', () => {
      throw new AppError('forbidden', 'agents may not do that');
    });
    typed.get('/crash', () => {
      throw new Error('secret internals at /srv/app.ts:12');
    });
  };

  it('an unknown route is a JSON not_found', async () => {
    const res = await (await serve()).inject({ url: '/v1/nowhere' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: { code: 'not_found', message: 'no route GET /v1/nowhere' },
    });
  });

  it('a body that fails its schema is 422 invalid_input with details naming the field', async () => {
    const res = await (
      await serve({}, withRoutes)
    ).inject({
      method: 'POST',
      url: '/probe',
      payload: { name: '', owner: { email: 'nope' } },
    });
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.error.code).toBe('invalid_input');
    expect(body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'body.name',
      'body.owner.email',
    ]);
  });

  it('malformed JSON is 422 invalid_input', async () => {
    const res = await (
      await serve({}, withRoutes)
    ).inject({
      method: 'POST',
      url: '/probe',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('invalid_input');
  });

  it('a body over the limit is 413 and never reaches the handler', async () => {
    const res = await (
      await serve({}, withRoutes)
    ).inject({
      method: 'POST',
      url: '/probe',
      payload: { name: 'x'.repeat(5000), owner: { email: 'a@b.co' } },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('invalid_input');
  });

  it('an AppError keeps its code and message', async () => {
    const res = await (await serve({}, withRoutes)).inject({ url: '/forbidden' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: { code: 'forbidden', message: 'agents may not do that' } });
  });

  it('an unexpected error is 500 internal without stack or internal message', async () => {
    const res = await (await serve({}, withRoutes)).inject({ url: '/crash' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(res.body).not.toContain('/srv/app.ts');
  });
});

describe('OpenAPI', () => {
  it('is served at /v1/openapi.json from the same zod schemas that validate requests', async () => {
    const res = await (
      await serve({}, (a) => {
        a.withTypeProvider<ZodTypeProvider>().post(
          '/v1/things',
          { schema: { body: z.object({ name: z.string().max(10) }) } },
          () => ({}),
        );
      })
    ).inject({ url: '/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/healthz', '/readyz', '/v1/things']),
    );
    const schema = doc.paths['/v1/things'].post.requestBody.content['application/json'].schema;
    expect(schema.properties.name).toMatchObject({ type: 'string', maxLength: 10 });
  });
});
