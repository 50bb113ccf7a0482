import type { ChannelFacts, ChatFacts, OwnerRef } from './facts.js';
import { type ChannelAction, type ChatAction, type Level, type Permission } from './levels.js';
import type { Principal } from './principal.js';
import {
  channelInScope,
  inScope,
  matchingTerm,
  planFor,
  replyChannelAllowed,
  type ChatBranch,
} from './scope.js';

/** A decision and why: the role binding, scope and restriction that decided it (PRODUCT.md §3.7). */
export interface Decision {
  allowed: boolean;
  /** The user's effective level for the action. */
  level: Level;
  reasons: string[];
}

export interface CheckContext {
  /** The account a reply would go out through; default: the chat's own account. */
  via?: ChannelFacts;
  /** Where the request comes from; a CRM panel may read history on a CRM grant. */
  route?: 'api' | 'crm_panel';
}

/** The default context, one object for every call (a check allocates nothing). */
const noContext: CheckContext = Object.freeze({});

/** "May U do A on chat C?" — the single check every route goes through. */
export function check(
  p: Principal,
  action: ChatAction,
  chat: ChatFacts,
  ctx: CheckContext = noContext,
): Decision {
  const level = p.levels[action];
  const reasons: string[] = [];
  if (chat.workspaceId !== p.workspaceId) {
    return { allowed: false, level: 'none', reasons: ['the chat belongs to another workspace'] };
  }
  if (p.status !== 'active') {
    return { allowed: false, level, reasons: [`your membership is ${p.status}: no access at all`] };
  }
  reasons.push(grantReason(p, action));
  const narrowed = p.narrowedBy[action];
  if (narrowed)
    reasons.push(`restriction ${restrictionText(p, narrowed)} narrows ${action} to "${level}"`);

  const term = matchingTerm(planFor(p, action), chat);
  let allowed = term !== undefined;
  if (term) {
    reasons.push(`scope "${level}" covers the chat: ${branchReason(p, term.branch, chat)}`);
    if (term.alsoOneOf) {
      reasons.push(
        `restriction chatVisibility=team allows it: the chat is assigned to you, your team or a teammate, or you take part in it`,
      );
    }
  } else {
    reasons.push(denialReason(p, level, chat));
  }

  if (allowed && action === 'chat.reply') {
    const via = ctx.via ?? {
      id: chat.channelId,
      workspaceId: chat.workspaceId,
      owner: chat.channelOwner,
    };
    const how = replyChannelAllowed(p, chat, via);
    const useLevel = p.levels['channel.use'];
    allowed = how !== undefined;
    reasons.push(
      how === 'this chat'
        ? `channel.use "${useLevel}" lets you answer through the account of a chat you see`
        : `channel.use "${useLevel}" ${how ? 'lets' : 'does not let'} you send through ${ownerText(p, via.owner, how)}`,
    );
  }

  if (
    !allowed &&
    action === 'chat.view' &&
    ctx.route === 'crm_panel' &&
    chat.crmGrantUserIds?.includes(p.userId)
  ) {
    return {
      allowed: true,
      level,
      reasons: [
        ...reasons,
        'CRM precedence: the connected CRM confirms your access to the record linked to this chat, so you may read its history in the CRM panel',
      ],
    };
  }
  if (!allowed && action === 'chat.view' && chat.crmGrantUserIds?.includes(p.userId)) {
    // `explain` names the grant even where it does not apply, so nobody wonders why a CRM
    // panel shows what the API does not.
    reasons.push(
      'a CRM record linked to this chat grants you its history in the CRM panel only (CRM precedence), not here',
    );
  }
  return { allowed, level, reasons };
}

/** "May U view, edit, connect or send through this channel account?" */
export function checkChannel(p: Principal, action: ChannelAction, channel: ChannelFacts): Decision {
  const level = p.levels[action];
  if (channel.workspaceId !== p.workspaceId) {
    return {
      allowed: false,
      level: 'none',
      reasons: ['the channel account belongs to another workspace'],
    };
  }
  if (p.status !== 'active') {
    return { allowed: false, level, reasons: [`your membership is ${p.status}: no access at all`] };
  }
  const reasons = [grantReason(p, action)];
  const narrowed = p.narrowedBy[action];
  if (narrowed)
    reasons.push(`restriction ${restrictionText(p, narrowed)} narrows ${action} to "${level}"`);
  const how = channelInScope(p, level, channel.owner);
  const verb = action === 'channel.use' ? 'send through' : action.slice('channel.'.length);
  if (how) {
    reasons.push(`${action} "${level}" lets you ${verb} ${ownerText(p, channel.owner, how)}`);
    return { allowed: true, level, reasons };
  }
  reasons.push(
    `${action} "${level}" does not let you ${verb} ${ownerText(p, channel.owner, undefined)}`,
  );
  return { allowed: false, level, reasons };
}

/** Workspace-wide switches (users.manage, data.export…): allowed at `all`. */
export function checkPermission(
  p: Principal,
  permission: Exclude<Permission, ChatAction | ChannelAction>,
): Decision {
  const level = p.levels[permission];
  if (p.status !== 'active') {
    return { allowed: false, level, reasons: [`your membership is ${p.status}: no access at all`] };
  }
  const reasons = [grantReason(p, permission)];
  const narrowed = p.narrowedBy[permission];
  if (narrowed) reasons.push(`restriction ${restrictionText(p, narrowed)} removes ${permission}`);
  return { allowed: level !== 'none', level, reasons };
}

function grantReason(p: Principal, permission: Permission): string {
  const grant = p.grants[permission];
  if (!grant)
    return `your role ${p.roleName} is unknown in this workspace: ${permission} is "none"`;
  const level = p.granted[permission];
  const source =
    grant.via.type === 'membership'
      ? `your workspace role ${grant.roleName}`
      : grant.via.type === 'user'
        ? `role ${grant.roleName} bound to you`
        : `role ${grant.roleName} bound to team ${grant.via.teamName}`;
  return `${source} gives ${permission} "${level}"`;
}

function restrictionText(p: Principal, key: string): string {
  return key === 'chatVisibility' ? 'chatVisibility=self' : `${key}`;
}

const nameOf = (p: Principal, id: string) => p.names.get(id) ?? id;

function branchReason(p: Principal, b: ChatBranch, chat: ChatFacts): string {
  switch (b.kind) {
    case 'assignee_user':
      return chat.assignee?.type === 'user' && chat.assignee.userId === p.userId
        ? 'it is assigned to you'
        : `it is assigned to ${nameOf(p, chat.assignee?.type === 'user' ? chat.assignee.userId : '')}, a member of your team`;
    case 'assignee_team':
      return `it is assigned to team ${nameOf(p, chat.assignee?.type === 'team' ? chat.assignee.teamId : '')}, one of your teams`;
    case 'participant':
      return 'you take part in it';
    case 'channel_owner_user':
      return chat.channelOwner.type === 'user' && chat.channelOwner.userId === p.userId
        ? 'it came in on a channel account you own'
        : `it came in on an account of ${nameOf(p, chat.channelOwner.type === 'user' ? chat.channelOwner.userId : '')}, a member of your team`;
    case 'channel_owner_team':
      return `it came in on an account of team ${nameOf(p, chat.channelOwner.type === 'team' ? chat.channelOwner.teamId : '')}, one of your teams`;
    case 'workspace':
      return 'scope "all" covers every chat of the workspace';
  }
}

function denialReason(p: Principal, level: Level, chat: ChatFacts): string {
  if (level === 'none') return 'level "none" covers no chat';
  const facts = [
    chat.assignee === null
      ? 'it is unassigned'
      : chat.assignee.type === 'user'
        ? `it is assigned to ${nameOf(p, chat.assignee.userId)}`
        : `it is assigned to team ${nameOf(p, chat.assignee.teamId)}`,
    chat.participantIds.includes(p.userId) ? 'you take part in it' : 'you do not take part in it',
    `it came in on ${ownerText(p, chat.channelOwner, undefined)}`,
  ];
  const why =
    p.chatVisibility === 'team'
      ? ' (restriction chatVisibility=team: only chats assigned to you, your team or a teammate)'
      : '';
  return `scope "${level}" does not cover the chat${why}: ${facts.join('; ')}`;
}

function ownerText(
  p: Principal,
  owner: OwnerRef,
  how: 'own' | 'team' | 'all' | 'this chat' | undefined,
): string {
  if (owner.type === 'workspace') return 'an account owned by HQ';
  if (owner.type === 'team')
    return `an account of team ${nameOf(p, owner.teamId)}${how === 'team' ? ', one of your teams' : ''}`;
  if (owner.userId === p.userId) return 'an account you own';
  return `an account of ${nameOf(p, owner.userId)}${how === 'team' ? ', a member of your team' : ''}`;
}

/**
 * The allowed/denied part of `check` without building explanations: the same plan and the
 * same channel rule, for hot paths (audiences, routing, filtering event fan-out).
 */
export function allows(
  p: Principal,
  action: ChatAction,
  chat: ChatFacts,
  ctx: CheckContext = noContext,
): boolean {
  if (p.status !== 'active' || chat.workspaceId !== p.workspaceId) return false;
  if (inScope(planFor(p, action), chat)) {
    if (action !== 'chat.reply') return true;
    const via = ctx.via ?? {
      id: chat.channelId,
      workspaceId: chat.workspaceId,
      owner: chat.channelOwner,
    };
    return replyChannelAllowed(p, chat, via) !== undefined;
  }
  return (
    action === 'chat.view' &&
    ctx.route === 'crm_panel' &&
    (chat.crmGrantUserIds?.includes(p.userId) ?? false)
  );
}

/** Who may do `action` on the chat: the users `check` allows, nobody else. */
export function audience(
  principals: Iterable<Principal>,
  action: ChatAction,
  chat: ChatFacts,
): Principal[] {
  const out: Principal[] = [];
  for (const p of principals) if (allows(p, action, chat)) out.push(p);
  return out;
}

/**
 * May a chat be assigned to this member (PRODUCT.md §3.2)? Any active member whose chat.view
 * is at least `assigned`: the assignment itself is what lets an Agent or a Collaborator see it.
 */
export function isAssignable(p: Principal): boolean {
  return p.status === 'active' && p.levels['chat.view'] !== 'none';
}
