import { AppError } from '../../core/errors.js';
import {
  resolveMember,
  type ResolveMemberDeps,
  type ResolvedMember,
} from '../../core/identity/resolve-member.js';

/**
 * Who a Slack user is in Switchboard: the member of the workspace their Slack team is linked
 * to whose email is their Slack profile's email (`users.info`, scope `users:read.email`). The
 * email is kept for a few minutes, so a burst of commands costs one Slack call; a refusal
 * looks it up again once, so a Slack user who changed their email is not refused for the
 * old one. Membership and status are never cached here: `resolveMember` reads the
 * workspace's access facts, which every access change invalidates, so a member suspended a
 * moment ago is refused on their next command.
 */
export interface SlackCallerDeps extends ResolveMemberDeps {
  /** The workspace a Slack team is linked to. */
  workspaceOfTeam(teamId: string): Promise<string | undefined>;
  /** The email of a Slack user's profile; undefined when Slack gives none. */
  slackEmail(slackUserId: string): Promise<string | undefined>;
  now(): number;
}

export interface SlackCaller extends ResolvedMember {
  workspaceId: string;
  slackUserId: string;
}

/** Thrown when the Slack user maps to no usable member: one line says why, nothing else runs. */
export class SlackRefusal extends Error {
  override readonly name = 'SlackRefusal';
}

const EMAIL_TTL_MS = 5 * 60_000;

export class SlackCallers {
  private readonly emails = new Map<string, { email: string | undefined; at: number }>();

  constructor(private readonly deps: SlackCallerDeps) {}

  /** The member `slackUserId` of `teamId` acts as, or a `SlackRefusal`. */
  async resolve(teamId: string, slackUserId: string): Promise<SlackCaller> {
    const workspaceId = await this.deps.workspaceOfTeam(teamId);
    if (!workspaceId) {
      throw new SlackRefusal(
        `This Slack workspace (${teamId}) is not linked to Switchboard. An admin links it with ` +
          `POST /v1/workspaces/<workspace>/integrations {"type":"slack","teamId":"${teamId}"}.`,
      );
    }
    try {
      return await this.member(workspaceId, slackUserId, false);
    } catch (error) {
      if (!(error instanceof SlackRefusal)) throw error;
      // Asked again of Slack: the profile's email may have changed since it was kept.
      return this.member(workspaceId, slackUserId, true);
    }
  }

  /** The email of a Slack user (a mention in a command), kept like the caller's. */
  async emailOf(slackUserId: string, fresh = false): Promise<string | undefined> {
    const kept = this.emails.get(slackUserId);
    const now = this.deps.now();
    if (!fresh && kept && now - kept.at < EMAIL_TTL_MS) return kept.email;
    const email = (await this.deps.slackEmail(slackUserId))?.trim().toLowerCase();
    this.emails.set(slackUserId, { email, at: now });
    if (this.emails.size > 10_000) this.forgetExpired(now);
    return email;
  }

  private async member(
    workspaceId: string,
    slackUserId: string,
    fresh: boolean,
  ): Promise<SlackCaller> {
    const email = await this.emailOf(slackUserId, fresh);
    if (!email) {
      throw new SlackRefusal(
        'Switchboard cannot read the email of your Slack profile (the app needs the ' +
          'users:read.email scope), so it cannot tell which member you are.',
      );
    }
    try {
      const member = await resolveMember(this.deps, { email }, workspaceId);
      return { ...member, workspaceId, slackUserId };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === 'forbidden') {
        throw new SlackRefusal(
          `Your membership of this Switchboard workspace (${email}) is suspended.`,
        );
      }
      if (error.code === 'unauthorized' || error.code === 'not_found') {
        throw new SlackRefusal(
          `${email}, the email of your Slack profile, is not a member of this Switchboard ` +
            'workspace (or no longer is). Ask an admin to invite you.',
        );
      }
      throw error;
    }
  }

  private forgetExpired(now: number): void {
    for (const [key, kept] of this.emails) {
      if (now - kept.at >= EMAIL_TTL_MS) this.emails.delete(key);
    }
  }
}
