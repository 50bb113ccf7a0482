import type { IngestPipeline } from '../db/ingest-pipeline.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventPublisher } from '../../core/events/events.js';
import { executePrepared, type Database } from '../db/database.js';
import { AppError } from '../../core/errors.js';
import { hashToken, sameSecret } from '../../core/tokens.js';
import {
  buildPrincipal,
  type AccessFactsSource,
  type Principal,
  type WorkspaceAccessFacts,
} from '../../core/access/index.js';

/** What every route may use; built once in main.ts. */
export interface HttpDeps {
  db: Database;
  /** Access facts per workspace, kept while current (`WorkspaceAccessCache`). */
  access: AccessFactsSource;
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
}

export interface WhatsappControl {
  /** An account was created or changed here: start it now rather than at the next reconcile. */
  accountChanged(channelId: string): void;
}

export interface LiveEvents {
  open(reply: FastifyReply, principal: Principal, facts: WorkspaceAccessFacts): void;
  isOnline(workspaceId: string, userId: string): boolean;
}

export interface AuthenticatedUser {
  id: string;
  email: string;
  name: string;
}

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

export async function authenticate(
  deps: HttpDeps,
  request: FastifyRequest,
): Promise<AuthenticatedUser> {
  const token = bearer(request);
  const [row] = await executePrepared(
    deps.db,
    deps.db
      .selectFrom('api_tokens as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .select(['u.id', 'u.email', 'u.name'])
      .where('t.token_hash', '=', hashToken(token))
      .where('t.revoked_at', 'is', null),
  );
  if (!row) throw new AppError('unauthorized', 'unknown or revoked token');
  return row;
}

export interface MemberContext {
  user: AuthenticatedUser;
  principal: Principal;
  facts: WorkspaceAccessFacts;
}

/**
 * The caller as a member of workspace `ws`. A workspace they do not belong to (or were
 * revoked from) is not found — its existence is not revealed; a suspended member is refused.
 */
export async function requireMember(
  deps: HttpDeps,
  request: FastifyRequest,
  workspaceId: string,
): Promise<MemberContext> {
  const user = await authenticate(deps, request);
  const facts = await deps.access.workspaceAccess(workspaceId);
  const principal = buildPrincipal(facts, user.id);
  if (!principal || principal.status === 'revoked')
    throw new AppError('not_found', 'no such workspace');
  if (principal.status === 'suspended') {
    throw new AppError('forbidden', 'your membership of this workspace is suspended');
  }
  await touchPresence(deps, workspaceId, user.id);
  return { user, principal, facts };
}

const PRESENCE_WRITE_EVERY_MS = 60_000;
const lastPresenceWrite = new Map<string, number>();

/**
 * "Last seen" follows use without a write per request: at most one write a minute per member
 * and process. (Several API processes each write at most once a minute: still cheap.)
 */
async function touchPresence(deps: HttpDeps, workspaceId: string, userId: string): Promise<void> {
  const key = `${workspaceId}:${userId}`;
  const now = deps.now().getTime();
  if (now - (lastPresenceWrite.get(key) ?? 0) < PRESENCE_WRITE_EVERY_MS) return;
  lastPresenceWrite.set(key, now);
  if (lastPresenceWrite.size > 100_000) lastPresenceWrite.clear();
  await deps.db
    .updateTable('memberships')
    .set({ last_seen_at: deps.now() })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .execute();
}
