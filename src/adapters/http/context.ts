import type { IngestPipeline } from '../db/ingest-pipeline.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventPublisher } from '../../core/events/events.js';
import type { Database } from '../db/database.js';
import { chatItems, replyStore } from '../db/chat-stores.js';
import type { StoredReply } from '../../core/chats/reply-to-chat.js';
import { presentMessage } from '../present/message.js';
import { AppError } from '../../core/errors.js';
import { hashToken, sameSecret } from '../../core/tokens.js';
import type {
  AccessFactsSource,
  Principal,
  WorkspaceAccessFacts,
} from '../../core/access/index.js';
import {
  resolveMember,
  resolveUser,
  type ActingUser,
  type IdentityDirectory,
  type ResolvedMember,
} from '../../core/identity/resolve-member.js';
import type { OutboundGuard } from './outbound-guard.js';
import type { Presence } from './presence.js';
import type { SlackBot } from '../slack/bot.js';

/** What every route may use; built once in main.ts. */
export interface HttpDeps {
  db: Database;
  /** Access facts per workspace, kept while current (`WorkspaceAccessCache`). */
  access: AccessFactsSource;
  /** Users and their tokens: who a bearer token belongs to (`core/identity`). */
  identity: IdentityDirectory;
  /** Records "last seen" as members use the API (made in main.ts). */
  presence: Presence;
  platformToken: string | undefined;
  publicUrl: string;
  now(): Date;
  /** Queues delivery of a stored reply to its channel (called after the commit that stored it). */
  enqueueOutbound(messageId: string): Promise<void>;
  /** Tells every process what happened (chat events, access changes). */
  events: EventPublisher;
  /** This process's open event streams. */
  live: LiveEvents;
  /** Stores inbound messages of every channel, batched (settles once committed). */
  ingest: IngestPipeline;
  /** Puts a dead or failed webhook delivery back in line; false if there is no such one. */
  replayDelivery(workspaceId: string, webhookId: string, deliveryId: string): Promise<boolean>;
  /** Runs WhatsApp accounts (accounts.ts); absent: this server cannot connect WhatsApp. */
  whatsapp?: WhatsappControl;
  /** The Slack admin bot, served at `POST /slack/events`; absent: Slack is not configured. */
  slack?: SlackBot;
  /**
   * Requests to URLs users gave (a CRM's API) and the policy that decides, at save time too,
   * which destinations they may name (`SWITCHBOARD_OUTBOUND_ALLOW`).
   */
  outbound: Pick<OutboundGuard, 'policy' | 'fetch'>;
}

export interface WhatsappControl {
  /** An account was created or changed here: start it now rather than at the next reconcile. */
  accountChanged(channelId: string): void;
}

export interface LiveEvents {
  open(reply: FastifyReply, principal: Principal, facts: WorkspaceAccessFacts): void;
  isOnline(workspaceId: string, userId: string): boolean;
}

export type AuthenticatedUser = ActingUser;

function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) throw new AppError('unauthorized', 'send Authorization: Bearer <token>');
  return match[1];
}

/** The platform token may only create organizations. */
export function requirePlatform(deps: HttpDeps, request: FastifyRequest): void {
  const token = bearer(request);
  if (!deps.platformToken || !sameSecret(token, deps.platformToken)) {
    throw new AppError('unauthorized', 'this needs the platform token');
  }
}

/** The caller, by their bearer token (`resolveUser`). */
export async function authenticate(
  deps: HttpDeps,
  request: FastifyRequest,
): Promise<AuthenticatedUser> {
  const token = bearer(request);
  const user = await resolveUser(deps, { token });
  await deps.presence.tokenUsed(hashToken(token));
  return user;
}

export type MemberContext = ResolvedMember;

/**
 * The caller as a member of workspace `ws`, by their bearer token (`resolveMember`: not a
 * member or revoked is not found, suspended is refused), then seen (`presence`).
 */
export async function requireMember(
  deps: HttpDeps,
  request: FastifyRequest,
  workspaceId: string,
): Promise<MemberContext> {
  const token = bearer(request);
  const member = await resolveMember(deps, { token }, workspaceId);
  await deps.presence.seen(workspaceId, member.user.id);
  await deps.presence.tokenUsed(hashToken(token));
  return member;
}

/**
 * What the reply use case (`replyToChat`) needs, from the server's deps: every door a reply
 * comes through (the API, a CRM panel, Pipedrive's modal) builds it the same way.
 */
export function replyDeps(
  deps: Pick<HttpDeps, 'db' | 'access' | 'events' | 'now' | 'enqueueOutbound'>,
) {
  return {
    access: deps.access,
    store: replyStore(deps.db),
    events: deps.events,
    now: () => deps.now(),
    deliverSoon: (messageId: string) => deps.enqueueOutbound(messageId),
  };
}

/**
 * A stored reply as the API answers it (REST and the CRM panel), for `principal`: a masked
 * user's reply is masked like the history shows it, with the chat's contact.
 */
export async function replyJson(
  deps: Pick<HttpDeps, 'db'>,
  principal: Principal,
  stored: StoredReply,
) {
  const contact = principal.maskContactIdentifiers
    ? (await chatItems(deps.db, principal.workspaceId, [stored.chatId]))[0]?.contact
    : undefined;
  return presentMessage(principal, { ...stored, direction: 'out' }, contact);
}
