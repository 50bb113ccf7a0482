import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Lookup } from '../../src/adapters/http/outbound-guard.js';

/**
 * Helpers for the outbound guard's tests (issue 22): a DNS the test scripts, and a receiver on
 * 127.0.0.1 that closes every connection, so each request connects (and resolves) anew.
 */

/** Names mapped to answers; each lookup of a name takes its next answer (the last one stays). */
export function scriptedLookup(answers: Record<string, string[][]>): Lookup & { calls: string[] } {
  const calls: string[] = [];
  const lookup = (hostname: string) => {
    calls.push(hostname);
    const list = answers[hostname] ?? [];
    const next = list.length > 1 ? list.shift() : list[0];
    return Promise.resolve((next ?? []).map((address) => ({ address })));
  };
  return Object.assign(lookup, { calls });
}

/** Answers each request as `respond` writes it (`n` counts requests from 1); default 200. */
export async function closingReceiver(
  respond: (res: http.ServerResponse, n: number) => void = (res) => res.end(),
) {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits.push(req.url ?? '');
      res.setHeader('connection', 'close');
      respond(res, hits.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
