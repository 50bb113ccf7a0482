import type { Chat } from './api.js';
import type { WorkspaceContext } from './app.js';

export function timeLabel(iso: string): string {
  const at = new Date(iso);
  const today = new Date().toDateString() === at.toDateString();
  return today
    ? at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : at.toLocaleDateString([], { day: 'numeric', month: 'short' });
}

export function memberName(ctx: WorkspaceContext, userId: string | undefined): string {
  if (!userId) return '';
  if (userId === ctx.session.userId) return 'you';
  return ctx.members.find((m) => m.user.id === userId)?.user.name ?? 'a colleague';
}

export function assigneeName(ctx: WorkspaceContext, assignee: Chat['assignee']): string {
  if (!assignee) return 'Unassigned';
  if (assignee.type === 'team')
    return `Team ${ctx.teams.find((t) => t.id === assignee.id)?.name ?? ''}`.trim();
  return `Assigned to ${memberName(ctx, assignee.id)}`;
}

/** What went wrong, in words for the page: the server's own message for a refusal. */
export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
