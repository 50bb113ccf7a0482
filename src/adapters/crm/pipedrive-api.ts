import type {
  PipedrivePeople,
  PipedrivePeopleSource,
  PipedriveResource,
} from '../../core/crm/pipedrive-contacts.js';
import type { PipedriveIntegration } from '../../core/integrations/integrations-store.js';
import { outboundRefusalOf } from '../http/outbound-guard.js';
import { TtlCache } from './ttl-cache.js';

/**
 * Pipedrive's REST API (v1), read for the phones and emails behind the entity a panel shows:
 * `GET <apiBaseUrl>/api/v1/persons/:id`, a deal's person through `GET /api/v1/deals/:id`
 * (its `person_id` is the person, with their phones and emails, or just their id), an
 * organization's people through `GET /api/v1/organizations/:id/persons`. The integration's
 * API token goes in the `api_token` query parameter, as Pipedrive's v1 API takes it
 * (https://pipedrive.readme.io/docs/how-to-find-the-api-token); answers are
 * `{success, data}` (https://pipedrive.readme.io/docs/core-api-concepts-responses).
 *
 * Pipedrive gives an app 10 seconds to answer a panel request ("The request to the app's API
 * endpoint took more than 10 seconds", https://pipedrive.readme.io/docs/json-modals-user-interaction-handling):
 * each call here gives up after `timeoutMs` (4 s), and answers are kept a minute, so opening
 * the same person again, or the panel reloading, asks Pipedrive nothing.
 */
export interface PipedriveApiOptions {
  /** Per request to Pipedrive; well under Pipedrive's own 10 s for the whole panel. */
  timeoutMs?: number;
  /**
   * The outbound guard's `fetch` (adapters/http/outbound-guard.ts): the base URL is the user's,
   * so its address must be a public one or allowed. A refusal counts as Pipedrive not answering.
   */
  fetch: typeof fetch;
  /** Told when Pipedrive could not answer (the panel goes on without it). */
  onError?: (error: unknown, where: { integrationId: string; path: string }) => void;
}

export type PeopleCache = TtlCache<PipedrivePeople>;

/** One cache for every integration (entries are keyed by integration): 60 s, 5,000 entries. */
export function peopleCache(options: { ttlMs?: number; maxEntries?: number } = {}): PeopleCache {
  return new TtlCache({
    ttlMs: options.ttlMs ?? 60_000,
    maxEntries: options.maxEntries ?? 5_000,
  });
}

const nobody: PipedrivePeople = Object.freeze({ personIds: [], phones: [], emails: [] });

/** Pipedrive answered that there is no such entity (cached, like any answer). */
class NotFound extends Error {}

/**
 * The people behind Pipedrive entities for one integration; undefined when it has no API
 * token (then only linked records count).
 */
export function pipedrivePeople(
  integration: Pick<PipedriveIntegration, 'id' | 'apiToken' | 'apiBaseUrl'>,
  cache: PeopleCache,
  options: PipedriveApiOptions,
): PipedrivePeopleSource | undefined {
  const { apiToken } = integration;
  if (!apiToken) return undefined;
  const doFetch = options.fetch;
  const timeoutMs = options.timeoutMs ?? 4_000;
  const base = integration.apiBaseUrl.replace(/\/+$/, '');

  async function get(path: string): Promise<unknown> {
    const url = new URL(`${base}/api/v1/${path}`);
    url.searchParams.set('api_token', apiToken as string);
    const response = await doFetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((error: unknown) => {
      // The policy's reason, not undici's "fetch failed", is what the log should say.
      throw outboundRefusalOf(error) ?? error;
    });
    if (response.status === 404) {
      await response.body?.cancel();
      throw new NotFound();
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`Pipedrive answered ${response.status} to GET /api/v1/${path.split('?')[0]}`);
    }
    const body = (await response.json()) as { success?: unknown; data?: unknown };
    if (body.success !== true) throw new NotFound();
    return body.data;
  }

  const person = (id: string) =>
    cached('person', id, async () => personOf(await get(`persons/${encodeURIComponent(id)}`)));

  async function load(resource: PipedriveResource, id: string): Promise<PipedrivePeople> {
    switch (resource) {
      case 'person':
        return personOf(await get(`persons/${encodeURIComponent(id)}`));
      case 'deal': {
        const deal = asRecord(await get(`deals/${encodeURIComponent(id)}`));
        const ref = deal?.person_id;
        // v1 embeds the person (`{value, name, phone, email}`) or gives their id alone.
        const embedded = asRecord(ref);
        const personId = idOf(embedded ? embedded.value : ref);
        if (!personId) return nobody;
        if (embedded && (Array.isArray(embedded.phone) || Array.isArray(embedded.email))) {
          return personOf({ ...embedded, id: personId });
        }
        return person(personId);
      }
      case 'organization': {
        const people = await get(`organizations/${encodeURIComponent(id)}/persons?limit=20`);
        const list = Array.isArray(people) ? people.map(personOf) : [];
        return {
          personIds: list.flatMap((p) => p.personIds),
          phones: list.flatMap((p) => p.phones),
          emails: list.flatMap((p) => p.emails),
        };
      }
    }
  }

  function cached(
    resource: PipedriveResource,
    id: string,
    work: () => Promise<PipedrivePeople>,
  ): Promise<PipedrivePeople> {
    return cache.get(`${integration.id}|${base}|${resource}|${id}`, async () => {
      try {
        return await work();
      } catch (error) {
        if (error instanceof NotFound) return nobody;
        throw error;
      }
    });
  }

  return {
    async peopleOf(resource, id) {
      try {
        return await cached(resource, id, () => load(resource, id));
      } catch (error) {
        options.onError?.(error, { integrationId: integration.id, path: `${resource}/${id}` });
        return undefined;
      }
    },
  };
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

const idOf = (value: unknown): string | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value)
    ? String(value)
    : typeof value === 'string' && /^\d{1,20}$/.test(value)
      ? value
      : undefined;

/** Pipedrive's `phone` / `email` fields: `[{value, label, primary}]` (or a bare string). */
function values(field: unknown): string[] {
  const list = Array.isArray(field) ? field : [field];
  return list
    .map((item) => (typeof item === 'string' ? item : asRecord(item)?.value))
    .filter((v): v is string => typeof v === 'string' && v.trim().length > 0)
    .slice(0, 20);
}

function personOf(data: unknown): PipedrivePeople {
  const person = asRecord(data);
  if (!person) return nobody;
  const id = idOf(person.id);
  return {
    personIds: id ? [id] : [],
    phones: values(person.phone),
    emails: values(person.email),
  };
}
