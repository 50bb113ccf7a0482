import type { Principal } from './principal.js';
import { planFor } from './scope.js';

/**
 * How a user's chat.view scope is counted for the badges (mine / unassigned / all).
 *
 * A scope is a union of branches on the chat's channel-account owner, its assignee and its
 * participants. Counters are kept per account and per (assignee, account), so a scope that is
 * only such a union counts as: chats of the accounts it covers, plus chats assigned to the
 * assignees it covers on other accounts, plus chats the user takes part in that neither
 * covers. A restriction that filters (chatVisibility=team) intersects branches, which counters
 * on two axes cannot answer: such scopes are counted chat by chat.
 */
export type CountPlan =
  | { kind: 'nothing' }
  | {
      kind: 'counters';
      /** Every account of the workspace (scope `all`). */
      everyAccount: boolean;
      ownerUserIds: readonly string[];
      ownerTeamIds: readonly string[];
      assigneeUserIds: readonly string[];
      assigneeTeamIds: readonly string[];
      /** Chats this user takes part in are in scope. */
      participantUserId: string | undefined;
    }
  | { kind: 'chats' };

export function countPlan(p: Principal): CountPlan {
  const plan = planFor(p, 'chat.view');
  if (plan.terms.length === 0) return { kind: 'nothing' };
  const flat = plan.flat;
  if (!flat) return { kind: 'chats' };
  return {
    kind: 'counters',
    everyAccount: flat.everything,
    ownerUserIds: [...flat.ownerUsers],
    ownerTeamIds: [...flat.ownerTeams],
    assigneeUserIds: [...flat.assigneeUsers],
    assigneeTeamIds: [...flat.assigneeTeams],
    participantUserId: flat.participantUserId,
  };
}
