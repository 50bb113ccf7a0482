import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Pipedrive, played by a test: its REST API (v1) on 127.0.0.1 — `GET /api/v1/persons/:id`,
 * `/api/v1/deals/:id`, `/api/v1/organizations/:id/persons`, each answering `{success, data}`
 * and refusing a wrong `api_token` with 401 as Pipedrive does — recording every call; and the
 * token Pipedrive puts in a JSON panel's or modal's request, signed the way Pipedrive signs it.
 */
export interface FakePerson {
  id: number;
  name: string;
  phone?: Array<{ label: string; value: string; primary: boolean }>;
  email?: Array<{ label: string; value: string; primary: boolean }>;
}

export interface FakePipedrive {
  url: string;
  persons: Map<number, FakePerson>;
  /** Deals and the id of their person. */
  deals: Map<number, { id: number; title: string; personId: number | null }>;
  /** Organizations and the ids of their people. */
  organizations: Map<number, number[]>;
  calls: Array<{ path: string; apiToken: string | null }>;
  /** Delay before answering, to play a slow Pipedrive. */
  delayMs: number;
  close(): Promise<void>;
}

export async function startFakePipedrive(apiToken: string): Promise<FakePipedrive> {
  const fake: Omit<FakePipedrive, 'url' | 'close'> = {
    persons: new Map(),
    deals: new Map(),
    organizations: new Map(),
    calls: [],
    delayMs: 0,
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://pipedrive.test');
    fake.calls.push({ path: url.pathname, apiToken: url.searchParams.get('api_token') });
    const answer = (status: number, body: unknown) => {
      setTimeout(() => {
        res.statusCode = status;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(body));
      }, fake.delayMs);
    };
    if (url.searchParams.get('api_token') !== apiToken) {
      answer(401, { success: false, error: 'unauthorized access', errorCode: 401 });
      return;
    }
    const notFound = () => answer(404, { success: false, error: 'not found', data: null });
    let m: RegExpExecArray | null;
    if ((m = /^\/api\/v1\/persons\/(\d+)$/.exec(url.pathname))) {
      const person = fake.persons.get(Number(m[1]));
      if (!person) return notFound();
      return answer(200, { success: true, data: { ...person, active_flag: true } });
    }
    if ((m = /^\/api\/v1\/deals\/(\d+)$/.exec(url.pathname))) {
      const deal = fake.deals.get(Number(m[1]));
      if (!deal) return notFound();
      const person = deal.personId === null ? undefined : fake.persons.get(deal.personId);
      return answer(200, {
        success: true,
        data: {
          id: deal.id,
          title: deal.title,
          // v1 embeds the deal's person: its id is `value`.
          person_id: person
            ? { name: person.name, value: person.id, phone: person.phone, email: person.email }
            : null,
        },
      });
    }
    if ((m = /^\/api\/v1\/organizations\/(\d+)\/persons$/.exec(url.pathname))) {
      const ids = fake.organizations.get(Number(m[1]));
      if (!ids) return notFound();
      const people = ids.map((id) => fake.persons.get(id)).filter(Boolean);
      return answer(200, { success: true, data: people.length ? people : null });
    }
    return notFound();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/**
 * The `token` Pipedrive adds to a JSON panel's (and modal's) request: a JWT, HS256, signed
 * with the extension's JWT secret, its claims the Pipedrive user and company (numbers) with
 * `iat` and `exp`. Written out by hand (header.payload.signature, base64url) rather than with
 * the library the server verifies with, so the test checks the format, not the library.
 */
export function pipedriveToken(
  secret: string,
  claims: { userId: number; companyId: number },
  options: { iat?: number; expiresInSeconds?: number } = {},
): string {
  const iat = options.iat ?? Math.floor(Date.now() / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({
    ...claims,
    iat,
    exp: iat + (options.expiresInSeconds ?? 600),
  })}`;
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

/** The query string Pipedrive sends to a panel on a detail view. */
export function pipedrivePanelQuery(params: {
  resource: 'person' | 'deal' | 'organization';
  selectedIds: string;
  userId: number;
  companyId: number;
  token?: string;
}): string {
  const query = new URLSearchParams({
    resource: params.resource,
    view: 'details',
    userId: String(params.userId),
    companyId: String(params.companyId),
    selectedIds: params.selectedIds,
    isShared: 'false',
    ...(params.token ? { token: params.token } : {}),
  });
  return `?${query.toString()}`;
}
