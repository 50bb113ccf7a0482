import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { bundleWeb } from '../../web/bundle.js';
import type { HttpDeps } from '../context.js';

/**
 * The agents' inbox at `/` (issue 21): the bundled Preact app, served as static files. The
 * page talks to the server only through the public API and the event stream, so it can show
 * nothing the policy would deny. Only the bundle's own files are routed (no wildcard), so
 * `/v1/...`, `/healthz`, `/slack/events` and unknown paths are untouched.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // data: images only: a WhatsApp QR code is drawn in the page as a data: URL (channels view).
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export function webRoutes(app: FastifyInstance, _deps: HttpDeps): void {
  const bundle = bundleWeb();
  void app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('content-security-policy', contentSecurityPolicy);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
    });
    await scope.register(fastifyStatic, {
      root: bundle.dir,
      prefix: '/',
      wildcard: false,
      globIgnore: ['**/*.tmp'],
      cacheControl: false,
      setHeaders(res, file) {
        // Hashed names change with their content: cache them for good; the page, never.
        res.header(
          'cache-control',
          file.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  });
}
