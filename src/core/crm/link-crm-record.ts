import type { AccessFactsSource } from '../access/index.js';
import { AppError } from '../errors.js';
import type { IdentityDirectory } from '../identity/resolve-member.js';
import type { IntegrationRecord } from '../integrations/integrations-store.js';

/**
 * CRM precedence (PRODUCT.md §3.5, Bitrix24): a connected CRM links one of its records (a deal,
 * a person) to contacts and chats, and says which members may access that record. Those members
 * may then read the linked chats' history in the CRM panel even without chat.view — and
 * nothing more: not the chat list, not the event stream, not a reply (`check` allows it only
 * for chat.view with the `crm_panel` route). Each call replaces the record's links and its
 * member list, so a member the CRM no longer names loses the grant at once; chats of a linked
 * contact are those it has when the record is written.
 *
 * The request is the CRM's own (signed with the integration's secret), not a member's: no
 * principal acts, and the members named must belong to the integration's workspace.
 */
export interface LinkCrmRecordInput {
  integration: Exclude<IntegrationRecord, { type: 'slack' }>;
  recordType: string;
  recordId: string;
  contactIds: readonly string[];
  chatIds: readonly string[];
  userEmails: readonly string[];
}

export interface CrmRecordsStore {
  transaction<T>(work: (tx: CrmRecordsTx) => Promise<T>): Promise<T>;
}

export interface CrmRecordsTx {
  /** Of these ids, the ones that are contacts (or chats) of the workspace. */
  existingContacts(workspaceId: string, ids: readonly string[]): Promise<string[]>;
  existingChats(workspaceId: string, ids: readonly string[]): Promise<string[]>;
  /**
   * Writes the record (replacing its links and members) and re-derives the grants of every chat
   * it covered before or covers now, from all of the workspace's records; the record's row is
   * locked first, so two writes of one record are applied one after the other.
   */
  writeRecord(record: {
    integrationId: string;
    workspaceId: string;
    type: string;
    id: string;
    contactIds: readonly string[];
    chatIds: readonly string[];
    userIds: readonly string[];
  }): Promise<{ chats: number }>;
  /** The audit entry of the change (the actor is the integration: no user). */
  audit(entry: {
    workspaceId: string;
    actorUserId: null;
    action: 'crm.record_link';
    targetType: 'crm_record';
    targetId: string;
    after: unknown;
  }): Promise<void>;
}

export interface LinkCrmRecordDeps {
  store: CrmRecordsStore;
  identity: IdentityDirectory;
  access: AccessFactsSource;
}

export async function linkCrmRecord(
  deps: LinkCrmRecordDeps,
  input: LinkCrmRecordInput,
): Promise<{ chats: number; userIds: string[] }> {
  const { integration, recordType, recordId } = input;
  const workspaceId = integration.workspaceId;
  const facts = await deps.access.workspaceAccess(workspaceId);
  const emails = [...new Set(input.userEmails.map((e) => e.trim().toLowerCase()))];
  const users = await Promise.all(emails.map((email) => deps.identity.userByEmail(email)));
  const unknown = emails.filter(
    (_, i) => !facts.members.some((m) => m.userId === users[i]?.id && m.status !== 'revoked'),
  );
  if (unknown.length) {
    throw new AppError('invalid_input', 'some userEmails are not members of this workspace', {
      details: unknown.map((email) => ({
        path: 'body.userEmails',
        message: `${email}: no such member`,
      })),
    });
  }
  const userIds = users.map((u) => (u as { id: string }).id);
  return deps.store.transaction(async (tx) => {
    const contactIds = [...new Set(input.contactIds)];
    const chatIds = [...new Set(input.chatIds)];
    const [contacts, chats] = await Promise.all([
      tx.existingContacts(workspaceId, contactIds),
      tx.existingChats(workspaceId, chatIds),
    ]);
    const missing = [
      ...contactIds
        .filter((id) => !contacts.includes(id))
        .map((id) => ({ path: 'body.contactIds', message: `${id}: no such contact` })),
      ...chatIds
        .filter((id) => !chats.includes(id))
        .map((id) => ({ path: 'body.chatIds', message: `${id}: no such chat` })),
    ];
    if (missing.length) {
      throw new AppError('invalid_input', 'some contacts or chats are not this workspace’s', {
        details: missing,
      });
    }
    const written = await tx.writeRecord({
      integrationId: integration.id,
      workspaceId,
      type: recordType,
      id: recordId,
      contactIds,
      chatIds,
      userIds,
    });
    await tx.audit({
      workspaceId,
      actorUserId: null,
      action: 'crm.record_link',
      targetType: 'crm_record',
      targetId: `${integration.id}:${recordType}:${recordId}`,
      after: { contactIds, chatIds, userIds, chats: written.chats },
    });
    return { chats: written.chats, userIds };
  });
}
