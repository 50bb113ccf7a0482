import { randomBytes } from 'node:crypto';
import {
  activeTeam,
  requireChannelAction,
  type AccessFactsSource,
  type OwnerRef,
  type Principal,
} from '../access/index.js';
import { AppError } from '../errors.js';
import { requireAllowedUrl, type OutboundPolicy } from '../outbound/outbound-policy.js';
import type {
  ChannelRecord,
  ChannelType,
  ChannelsStore,
  WhatsappAccounts,
  WhatsappSettingsRules,
} from './channels-store.js';

/**
 * Connects a channel account (PRODUCT.md §2): a webhook channel, active at once with its own
 * signing secret, or a WhatsApp account, which waits for its QR code to be scanned, group
 * chats off. Without `owner` the actor connects and owns it; an owner must be an active member
 * or team, or HQ (`workspace`). The actor needs channel.connect over the account as it will be
 * owned. A new account has no chats yet, so nobody's access changes. An outbound URL whose host
 * is a literal non-public address (or localhost) is refused unless the outbound policy allows it.
 */
export interface ConnectChannelInput {
  actor: Principal;
  workspaceId: string;
  type: ChannelType;
  name: string;
  owner?: OwnerRef;
  /** Webhook channels: where replies are posted. */
  outboundUrl?: string;
}

export interface ConnectChannelDeps {
  store: ChannelsStore;
  access: AccessFactsSource;
  /** Absent: this server does not run WhatsApp accounts. */
  whatsapp?: WhatsappAccounts | undefined;
  whatsappSettings: Pick<WhatsappSettingsRules, 'defaults'>;
  /** Where replies may be posted (the operator's allow list). */
  outboundPolicy: OutboundPolicy;
}

export async function connectChannel(
  deps: ConnectChannelDeps,
  input: ConnectChannelInput,
): Promise<{ channel: ChannelRecord; secret: string | null }> {
  const { actor, workspaceId, type, name, outboundUrl } = input;
  const whatsapp = type === 'whatsapp';
  if (whatsapp && !deps.whatsapp)
    throw new AppError('invalid_input', 'this server does not run WhatsApp accounts', {
      details: [{ path: 'body.type', message: 'only "webhook" is available here' }],
    });
  if (whatsapp && outboundUrl !== undefined)
    throw new AppError('invalid_input', 'a WhatsApp account sends replies itself', {
      details: [{ path: 'body.outboundUrl', message: 'only for webhook channels' }],
    });
  if (outboundUrl !== undefined)
    requireAllowedUrl(deps.outboundPolicy, outboundUrl, 'body.outboundUrl');
  const owner: OwnerRef = input.owner ?? { type: 'user', userId: actor.userId };
  const facts = await deps.access.workspaceAccess(workspaceId);
  if (
    owner.type === 'user' &&
    !facts.members.some((m) => m.userId === owner.userId && m.status === 'active')
  )
    throw new AppError('invalid_input', 'the owner must be an active member', {
      details: [{ path: 'body.owner.id', message: 'not an active member' }],
    });
  if (owner.type === 'team' && !activeTeam(facts, owner.teamId))
    throw new AppError('invalid_input', 'the owner must be an active team', {
      details: [{ path: 'body.owner.id', message: 'not an active team' }],
    });
  requireChannelAction(actor, 'channel.connect', { id: 'new', workspaceId, owner });
  const secret = whatsapp ? null : randomBytes(32).toString('hex');
  const channel = await deps.store.transaction(async (tx) => {
    const created = await tx.insertChannel({
      workspaceId,
      type,
      name,
      owner,
      connectedBy: actor.userId,
      status: whatsapp ? 'qr_pending' : 'active',
      secret,
      outboundUrl: outboundUrl ?? null,
      ...(whatsapp ? { settings: deps.whatsappSettings.defaults } : {}),
    });
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'channel.connect',
      targetType: 'channel',
      targetId: created.id,
      after: { type, name, owner },
    });
    return created;
  });
  if (whatsapp) deps.whatsapp?.accountChanged(channel.id);
  return { channel, secret };
}
