import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

/** The route label of a request no route matched (404s): raw URLs would be unbounded. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Times every request of a fastify app by method, route template and status code; with
 * `route`, serves `GET /metrics` on the app too (SWITCHBOARD_METRICS=on).
 */
export function instrumentServer(
  app: FastifyInstance,
  metrics: Metrics,
  options: { route: boolean },
): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequest(
      request.method,
      request.routeOptions.url ?? UNMATCHED_ROUTE,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
  if (!options.route) return;
  app.get(
    '/metrics',
    // Scraped every few seconds: not worth an access log line each time.
    { logLevel: 'warn', schema: { hide: true } },
    async (_request, reply) => {
      const { contentType, body } = await metrics.scrape();
      return reply.type(contentType).send(body);
    },
  );
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** `/metrics` alone on a port of its own (SWITCHBOARD_METRICS=<port>), beside the API's. */
export async function startMetricsServer(
  metrics: Metrics,
  listen: { host: string; port: number },
  onError: (error: unknown) => void = () => undefined,
): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    metrics.scrape().then(
      ({ contentType, body }) => {
        response.writeHead(200, { 'content-type': contentType });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        onError(error);
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('error\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // A scraper's idle keep-alive connection must not hold shutdown up.
        server.closeIdleConnections();
      }),
  };
}
