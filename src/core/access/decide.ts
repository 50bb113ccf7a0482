import { AppError } from '../errors.js';
import {
  allows,
  check,
  checkChannel,
  checkPermission,
  isAssignable,
  type CheckContext,
} from './check.js';
import type {
  AssigneeRef,
  ChannelFacts,
  ChatFacts,
  OwnerRef,
  TeamFacts,
  WorkspaceAccessFacts,
} from './facts.js';
import type { ChannelAction, ChatAction, Permission } from './levels.js';
import { buildPrincipal, type Principal } from './principal.js';

/**
 * The decisions use cases act on, each thrown as the one `AppError` its callers expect: a chat
 * the principal may not see does not exist for them (`not_found`); an action they may not take
 * on a chat they see is `forbidden`, with the reason `check` (the explain API) gives.
 */

/** The chat, if the principal may view it; otherwise not found (its existence is not revealed). */
export function requireVisibleChat(
  p: Principal,
  chat: ChatFacts | undefined,
  ctx?: CheckContext,
): ChatFacts {
  if (!chat || !allows(p, 'chat.view', chat, ctx)) throw new AppError('not_found', 'no such chat');
  return chat;
}

const verbs = {
  'chat.view': 'view',
  'chat.reply': 'reply to',
  'chat.assign': 'assign',
  'chat.join': 'join',
  'chat.rate': 'rate',
} as const satisfies Record<ChatAction, string>;

/** Allowed, or `forbidden` naming the rule that decided (the last of `check`'s reasons). */
export function requireChatAction(
  p: Principal,
  action: ChatAction,
  chat: ChatFacts,
  ctx?: CheckContext,
): void {
  const decision = check(p, action, chat, ctx);
  if (!decision.allowed) {
    throw new AppError(
      'forbidden',
      `you may not ${verbs[action]} this chat: ${decision.reasons.at(-1) ?? ''}`,
    );
  }
}

/**
 * A team chats may go to, assigned by hand or routed: an active one. A suspended or deleted
 * team's queue belongs to HQ (PRODUCT.md §2), so it is neither an assignee nor a routing
 * target; undefined for such a team or one the workspace does not have.
 */
export function activeTeam(
  facts: Pick<WorkspaceAccessFacts, 'teams'>,
  teamId: string,
): TeamFacts | undefined {
  return facts.teams.find((t) => t.id === teamId && t.status === 'active');
}

/**
 * Why a chat may not be assigned to `target` (PRODUCT.md §3.2), or undefined when it may: a
 * user must be an active member whose chat.view is at least `assigned` (`isAssignable`), a
 * team must be active (`activeTeam`). Null (unassigned, HQ's queue) is always allowed.
 */
export function assigneeRefusal(
  facts: WorkspaceAccessFacts,
  target: AssigneeRef,
): { message: string; detail: string } | undefined {
  if (target?.type === 'user') {
    const assignee = buildPrincipal(facts, target.userId);
    if (!assignee || !isAssignable(assignee)) {
      return {
        message: 'the assignee must be an active member who can see assigned chats',
        detail: 'not an assignable member',
      };
    }
  } else if (target?.type === 'team' && !activeTeam(facts, target.teamId)) {
    return { message: 'no such active team', detail: 'not an active team' };
  }
  return undefined;
}

/** Workspace-level permissions (not about one chat or account): users, teams, roles, settings… */
export type WorkspacePermission = Exclude<Permission, ChatAction | ChannelAction>;

/** Allowed, or `forbidden` naming the permission and why `checkPermission` (the explain API) refused. */
export function requirePermission(p: Principal, permission: WorkspacePermission): void {
  const decision = checkPermission(p, permission);
  if (!decision.allowed) {
    throw new AppError('forbidden', `this needs ${permission}: ${decision.reasons.join('; ')}`);
  }
}

/**
 * The channel account, if the principal may view it; otherwise not found: an account they may
 * not see, or one of another workspace, does not exist for them.
 */
export function requireVisibleChannel<C extends ChannelFacts>(
  p: Principal,
  channel: C | undefined,
): C {
  if (!channel || !checkChannel(p, 'channel.view', channel).allowed)
    throw new AppError('not_found', 'no such channel account');
  return channel;
}

const channelVerbs = {
  'channel.view': 'view',
  'channel.edit': 'edit',
  'channel.connect': 'connect',
  'channel.use': 'send through',
} as const satisfies Record<ChannelAction, string>;

/** Allowed, or `forbidden` naming the rule that decided (the last of `checkChannel`'s reasons). */
export function requireChannelAction(
  p: Principal,
  action: ChannelAction,
  channel: ChannelFacts,
): void {
  const decision = checkChannel(p, action, channel);
  if (!decision.allowed) {
    throw new AppError(
      'forbidden',
      `you may not ${channelVerbs[action]} this channel account: ${decision.reasons.at(-1) ?? ''}`,
    );
  }
}

/**
 * Adding a participant to a chat (PRODUCT.md §3.3): adding yourself is joining (`chat.join`);
 * adding a colleague is handing them the chat, decided like assigning it (`chat.assign`).
 * Allowed, or `forbidden` naming the rule that decided.
 */
export function requireParticipantAction(p: Principal, chat: ChatFacts, userId: string): void {
  const joining = userId === p.userId;
  const decision = check(p, joining ? 'chat.join' : 'chat.assign', chat);
  if (!decision.allowed) {
    throw new AppError(
      'forbidden',
      `you may not ${joining ? 'join' : 'add people to'} this chat: ${decision.reasons.at(-1) ?? ''}`,
    );
  }
}

/**
 * An action on a whole organization (creating a workspace in it) by a user, given their
 * principal in each workspace of the organization: an organization where they are no active
 * member does not exist for them (`not_found`); otherwise they need `permission` (an Owner's
 * `workspace.manage`) in at least one of its workspaces, or it is `forbidden`.
 */
export function requireOrganizationPermission(
  principals: readonly Principal[],
  permission: WorkspacePermission,
): void {
  const active = principals.filter((p) => p.status === 'active');
  if (active.length === 0) throw new AppError('not_found', 'no such organization');
  const decisions = active.map((p) => checkPermission(p, permission));
  if (!decisions.some((d) => d.allowed)) {
    throw new AppError(
      'forbidden',
      `this needs ${permission} in a workspace of the organization: ${decisions[0]?.reasons.join('; ') ?? ''}`,
    );
  }
}

/**
 * May `p` find chats by a contact's phone or email? Not while their contact identifiers are
 * masked (PRODUCT.md §3.4): the answer would tell them whose number it is. They find chats by
 * id, as everything they are shown names them.
 */
export function requireContactLookup(p: Principal): void {
  if (p.maskContactIdentifiers) {
    throw new AppError(
      'forbidden',
      'contact phone numbers and emails are masked for you: name the chat by its id',
    );
  }
}

/**
 * Whom an outbound webhook subscription acts as (PRODUCT.md §3.6, §5): the member it names
 * (`asUserId`), or else its creator. That principal's rights decide which chat events it
 * carries and their restrictions how each is redacted. Undefined — the subscription carries
 * nothing — while its creator is not an active member (who set it up answers for it), or while
 * the member it names is not: a suspended or revoked member sees nothing, so neither does a
 * subscription acting as them.
 */
export function webhookPrincipal(
  facts: WorkspaceAccessFacts,
  hook: { createdBy: string | null; asUserId: string | null },
): Principal | undefined {
  const creator = hook.createdBy === null ? undefined : buildPrincipal(facts, hook.createdBy);
  if (!creator || creator.status !== 'active') return undefined;
  if (hook.asUserId === null || hook.asUserId === creator.userId) return creator;
  const named = buildPrincipal(facts, hook.asUserId);
  return named?.status === 'active' ? named : undefined;
}

/**
 * May `p` be told who the workspace's members are (name, email, status) — and so that one was
 * revoked? Every active member may: the member list is every member's (`GET …/members` needs
 * only membership), and a colleague's email is how members find each other, not a contact
 * identifier (masking is of contacts' phones and emails, PRODUCT.md §3.4). So `member.revoked`
 * goes to every subscription that asked for it while the principal it acts as is active;
 * requiring users.manage would hide from an Agent's CRM sync what their own member list shows.
 */
export function mayViewMembers(p: Principal): boolean {
  return p.status === 'active';
}

/**
 * Who the actor may connect a new channel account for (PRODUCT.md §2, channel.connect over the
 * account as it will be owned): themselves, HQ, an active team, an active colleague — in that
 * order, each asked of `checkChannel`, so a page offers exactly what `connectChannel` allows.
 */
export function connectableOwners(
  actor: Principal,
  facts: Pick<WorkspaceAccessFacts, 'members' | 'teams'>,
): OwnerRef[] {
  const candidates: OwnerRef[] = [
    { type: 'user', userId: actor.userId },
    { type: 'workspace' },
    ...facts.teams
      .filter((t) => activeTeam(facts, t.id))
      .map((t): OwnerRef => ({ type: 'team', teamId: t.id })),
    ...facts.members
      .filter((m) => m.status === 'active' && m.userId !== actor.userId)
      .map((m): OwnerRef => ({ type: 'user', userId: m.userId })),
  ];
  return candidates.filter(
    (owner) =>
      checkChannel(actor, 'channel.connect', { id: 'new', workspaceId: actor.workspaceId, owner })
        .allowed,
  );
}
