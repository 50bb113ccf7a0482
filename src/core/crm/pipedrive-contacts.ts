import { normalizePhone } from '../contacts/phone.js';
import type { ContactKey } from './list-contact-chats.js';

/**
 * Which contacts a Pipedrive JSON panel or JSON modal stands for (issue 20): Pipedrive names
 * the entity the user looks at (`resource` person/deal/organization and `selectedIds`), and
 * the panel shows the chats of
 *
 * - the records a connected CRM linked to that entity (`PUT /v1/crm/:id/records/:type/:id`,
 *   the deal's person's record too), and
 * - the phones and emails Pipedrive's API gives for the person (a deal's person, an
 *   organization's people), each phone read as `normalizePhone` reads every phone, so
 *   `+49 30 555000` in Pipedrive finds the contact `+4930555000`.
 *
 * Pipedrive's API is best effort: when it is slow or down the panel still shows what the
 * linked records give (the port answers `undefined`), within Pipedrive's 10-second limit.
 */
export type PipedriveResource = 'person' | 'deal' | 'organization';

/** What Pipedrive's API says about the people behind one entity. */
export interface PipedrivePeople {
  /** The people's Pipedrive ids (a deal's person), so their linked records count too. */
  personIds: readonly string[];
  phones: readonly string[];
  emails: readonly string[];
}

export interface PipedrivePeopleSource {
  /** The people of the entity; undefined: unknown, or Pipedrive could not say in time. */
  peopleOf(resource: PipedriveResource, id: string): Promise<PipedrivePeople | undefined>;
}

export interface PipedriveContactsInput {
  integrationId: string;
  resource: string;
  selectedIds: readonly string[];
}

/** At most this many selected entities are looked at (a detail view selects one). */
export const MAX_SELECTED = 10;

const resources: ReadonlySet<string> = new Set<PipedriveResource>([
  'person',
  'deal',
  'organization',
]);

export function isPipedriveResource(value: string): value is PipedriveResource {
  return resources.has(value);
}

export async function pipedriveContacts(
  deps: { people: PipedrivePeopleSource | undefined },
  input: PipedriveContactsInput,
): Promise<ContactKey[]> {
  const { integrationId, resource } = input;
  if (!isPipedriveResource(resource)) return [];
  const ids = [...new Set(input.selectedIds)].slice(0, MAX_SELECTED);
  const people = await Promise.all(
    ids.map((id) => deps.people?.peopleOf(resource, id) ?? Promise.resolve(undefined)),
  );
  const keys = new Map<string, ContactKey>();
  const record = (type: string, id: string) =>
    keys.set(`record:${type}:${id}`, { record: { integrationId, type, id } });
  for (const id of ids) record(resource, id);
  for (const found of people) {
    if (!found) continue;
    for (const personId of found.personIds) record('person', personId);
    for (const raw of found.phones) {
      const phone = normalizePhone(raw);
      if (phone.ok) keys.set(`phone:${phone.phone}`, { phone: phone.phone });
    }
    for (const raw of found.emails) {
      const email = raw.trim().toLowerCase();
      if (email.includes('@')) keys.set(`email:${email}`, { email });
    }
  }
  return [...keys.values()];
}
