import type { Selectable } from 'kysely';
import { z } from 'zod';
import { checkChannel, redact, type OwnerRef, type Principal } from '../../core/access/index.js';
import { ownerRef } from '../db/access/load-access.js';
import type { ChannelAccountsTable } from '../db/tables/channels.table.js';
import { whatsappSettingsSchema } from '../whatsapp/settings.js';

/** A channel account as the API shows it (shared/API.md). */
export const channelReply = z.object({
  id: z.string(),
  type: z.enum(['webhook', 'whatsapp']),
  name: z.string(),
  owner: z.object({ type: z.enum(['user', 'team', 'workspace']), id: z.string().optional() }),
  status: z.string(),
  inbound: z.object({ url: z.string(), secret: z.string() }).optional(),
  /** WhatsApp: personal-chat protection (group chats on/off, contacts never ingested). */
  settings: z.object({ groups: z.boolean(), excludedContacts: z.array(z.string()) }).optional(),
  /**
   * What the caller may do with this account, as the policy decides it (`checkChannel`): edit
   * it (rename, settings, disable), connect it (QR code, reconnect), send through it. A client
   * offers only these controls; the server decides each action again.
   */
  may: z
    .object({ edit: z.boolean(), connect: z.boolean(), use: z.boolean() })
    .describe('the actions the policy allows the caller on this account'),
});

export const ownerJson = (o: OwnerRef) =>
  o.type === 'user'
    ? { type: o.type, id: o.userId }
    : o.type === 'team'
      ? { type: o.type, id: o.teamId }
      : { type: o.type };

export type ChannelRow = Pick<
  Selectable<ChannelAccountsTable>,
  'id' | 'workspace_id' | 'type' | 'name' | 'status' | 'settings'
> &
  Parameters<typeof ownerRef>[0];

/** A channel account as `principal` sees it (without its secret), before redaction. */
function channelJson(principal: Principal, row: ChannelRow): z.infer<typeof channelReply> {
  const settings = row.type === 'whatsapp' ? whatsappSettingsSchema.safeParse(row.settings) : null;
  const facts = { id: row.id, workspaceId: row.workspace_id, owner: ownerRef(row) };
  const may = (action: 'channel.edit' | 'channel.connect' | 'channel.use') =>
    checkChannel(principal, action, facts).allowed;
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    owner: ownerJson(facts.owner),
    status: row.status,
    ...(settings?.success
      ? {
          settings: {
            groups: settings.data.groups,
            excludedContacts: settings.data.excludedContacts,
          },
        }
      : {}),
    may: { edit: may('channel.edit'), connect: may('channel.connect'), use: may('channel.use') },
  };
}

/** One channel account for `principal`, redacted for them (a WhatsApp name is often a number). */
export function presentChannel(
  principal: Principal,
  row: ChannelRow,
): z.infer<typeof channelReply> {
  return redact(principal, channelJson(principal, row));
}

/** Channel accounts for `principal`, redacted as one payload. */
export function presentChannels(
  principal: Principal,
  rows: readonly ChannelRow[],
): Array<z.infer<typeof channelReply>> {
  return redact(
    principal,
    rows.map((row) => channelJson(principal, row)),
  );
}
