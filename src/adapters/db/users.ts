import type { Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import { newToken } from '../../core/tokens.js';
import type { DB } from './schema.js';

/**
 * A person is one user across organizations: the profile of a known email is reused, and
 * joining a workspace joins its organization (PRODUCT.md §1).
 */
export async function findOrCreateUser(
  trx: Transaction<DB>,
  person: { email: string; name: string },
) {
  return (
    (await trx
      .selectFrom('users')
      .selectAll()
      .where('email', '=', person.email)
      .executeTakeFirst()) ??
    (await trx
      .insertInto('users')
      .values({ id: newId('usr'), email: person.email, name: person.name })
      .returningAll()
      .executeTakeFirstOrThrow())
  );
}

export async function joinOrganization(
  trx: Transaction<DB>,
  organizationId: string,
  userId: string,
): Promise<void> {
  await trx
    .insertInto('organization_members')
    .values({ organization_id: organizationId, user_id: userId })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Issues a bearer token for the user; only its hash is stored, the token is returned once. */
export async function issueToken(
  trx: Transaction<DB>,
  userId: string,
  label: string,
): Promise<string> {
  const { token, hash } = newToken('user');
  await trx
    .insertInto('api_tokens')
    .values({ id: newId('tok'), user_id: userId, token_hash: hash, label })
    .execute();
  return token;
}
