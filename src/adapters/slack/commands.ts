import { z } from 'zod';
import {
  builtInRoles,
  isBuiltInRole,
  requireContactLookup,
  restrictionsSchema,
  type AccessFactsSource,
  type AssigneeRef,
  type RestrictionKey,
  type Restrictions,
  type WorkspaceAccessFacts,
} from '../../core/access/index.js';
import { explainAccess } from '../../core/access/explain-access.js';
import { listAudience } from '../../core/access/list-audience.js';
import { assignChat } from '../../core/chats/assign-chat.js';
import { normalizePhone } from '../../core/contacts/phone.js';
import { AppError } from '../../core/errors.js';
import { changeMemberAccess } from '../../core/people/change-member-access.js';
import { changeMemberStatus } from '../../core/people/change-member-status.js';
import { inviteMember } from '../../core/people/invite-member.js';
import { assertMayExportMembers } from '../../core/access/member-rules.js';
import { toCsv } from '../../core/people/members-csv.js';
import { planRevoke } from '../../core/people/plan-revoke.js';
import { changeTeamMembership } from '../../core/teams/change-team-membership.js';
import { countAssignedChats, jobsSource } from '../db/admin-reads.js';
import { contactChatsSource } from '../db/crm-store.js';
import { findContactChats } from '../../core/chats/find-contact-chats.js';
import { listJobs } from '../../core/people/list-jobs.js';
import { chatReads, usersByName } from '../db/chat-reads.js';
import { viewChat } from '../../core/chats/view-chat.js';
import type { ChatSummary } from '../../core/chats/chat-summary.js';
import { assignmentStore } from '../db/chat-stores.js';
import { peopleStore } from '../db/people-store.js';
import { teamsStore } from '../db/teams-store.js';
import type { Database } from '../db/database.js';
import type { EventPublisher } from '../../core/events/events.js';
import type { IdentityDirectory } from '../../core/identity/resolve-member.js';
import { presentChat } from '../present/chat.js';
import { presentJob } from '../present/job.js';
import { MEMBERS_CSV_HEADER, memberCsvRows, memberListFor } from '../present/member.js';
import type { SlackCaller } from './caller.js';
import { line, message, quote, withButtons, type SlackMessage } from './message.js';
import type { Word } from './words.js';

/**
 * The subcommands of `/switchboard` (issue 19). Each parses its words, calls the use case the
 * REST API calls for the same action, with the caller's own principal, and says what happened.
 * Nothing here decides who may do what: a refusal comes from the use case (or `core/access`),
 * with the reason it gives the REST API.
 */
export interface SlackDeps {
  db: Database;
  access: AccessFactsSource;
  identity: IdentityDirectory;
  events: EventPublisher;
  /** Whether a member has an event stream open on this server (online). */
  live: { isOnline(workspaceId: string, userId: string): boolean };
  now(): Date;
  publicUrl: string;
}

/** What a command may ask of Slack. */
export interface SlackSide {
  /** The email of a mentioned Slack user's profile. */
  emailOf(slackUserId: string): Promise<string | undefined>;
  /** Uploads a file into the caller's direct messages with the bot. */
  uploadToCaller(file: { filename: string; content: string; comment: string }): Promise<void>;
}

export interface CommandContext {
  caller: SlackCaller;
  words: Word[];
  slack: SlackSide;
}

/** Malformed arguments: the answer is the command's usage, with what was wrong. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Command {
  usage: string;
  summary: string;
  run(ctx: CommandContext): Promise<SlackMessage>;
}

export interface RevokeRequest {
  userId: string;
  reassignTo?: string;
}

/** The buttons of the revoke's confirmation (handled in bot.ts). */
export const REVOKE_CONFIRM = 'revoke_confirm';
export const REVOKE_CANCEL = 'revoke_cancel';

export function slackCommands(deps: SlackDeps, commandName: string) {
  const people = {
    store: peopleStore(deps.db),
    access: deps.access,
    events: deps.events,
    now: () => deps.now(),
  };
  const teams = { store: teamsStore(deps.db), access: deps.access, events: deps.events };
  const assignments = { access: deps.access, store: assignmentStore(deps.db), events: deps.events };

  // ----- arguments -----

  const text = (word: Word | undefined): string | undefined =>
    word?.kind === 'text' && word.value !== '' ? word.value : undefined;

  /** A member named by a mention or an email; any status (the use case decides what it allows). */
  async function memberArg(ctx: CommandContext, word: Word | undefined, what = 'user') {
    if (!word) throw new UsageError(`name the ${what}: a mention (@name) or an email`);
    const email =
      word.kind === 'mention' ? await ctx.slack.emailOf(word.slackUserId) : emailOf(word.value);
    if (!email) {
      throw new AppError(
        'invalid_input',
        word.kind === 'mention'
          ? `Slack gives no email for ${word.raw}, so Switchboard cannot tell which member that is`
          : `${quote(word.value)} is neither a mention nor an email`,
      );
    }
    const user = await deps.identity.userByEmail(email);
    const member = user && ctx.caller.facts.members.find((m) => m.userId === user.id);
    if (!user || !member) {
      throw new AppError('not_found', `${quote(email)} is not a member of this workspace`);
    }
    return { userId: user.id, name: user.name, email: user.email, role: member.role };
  }

  function roleArg(facts: WorkspaceAccessFacts, word: Word | undefined) {
    const name = text(word)?.toLowerCase();
    if (!name) throw new UsageError('name the role');
    for (const key of Object.keys(builtInRoles)) {
      if (isBuiltInRole(key) && (key === name || builtInRoles[key].name.toLowerCase() === name))
        return key;
    }
    const custom = facts.customRoles.find((r) => r.id === name || r.name.toLowerCase() === name);
    if (custom) return custom.id;
    const known = [
      ...Object.values(builtInRoles).map((r) => r.name),
      ...facts.customRoles.map((r) => r.name),
    ];
    throw new AppError('invalid_input', `no role ${quote(name)}: one of ${known.join(', ')}`);
  }

  function teamArg(facts: WorkspaceAccessFacts, word: Word | undefined) {
    const name = text(word);
    if (!name) throw new UsageError('name the team');
    const lower = name.toLowerCase();
    const team = facts.teams.find(
      (t) => t.status !== 'deleted' && (t.id === name || t.name.toLowerCase() === lower),
    );
    if (!team) throw new AppError('not_found', `no team ${quote(name)}`);
    return team;
  }

  /** A chat named by its id, or by its contact's phone (only if the caller sees unmasked). */
  async function chatArg(ctx: CommandContext, word: Word | undefined): Promise<string> {
    const given = text(word);
    if (!given) throw new UsageError('name the chat: its id, or the contact’s phone');
    const { principal, workspaceId } = ctx.caller;
    if (given.startsWith('chat_')) return given;
    requireContactLookup(principal);
    const phone = normalizePhone(given);
    if (!phone.ok) {
      throw new AppError(
        'invalid_input',
        `${quote(given)} is not a chat id, and its number ${phone.message}`,
      );
    }
    const visible = await findContactChats(
      { access: deps.access, chats: contactChatsSource(deps.db) },
      { actor: principal, workspaceId, contacts: [{ phone: phone.phone }], limit: 10 },
    );
    const [only] = visible;
    if (!only) throw new AppError('not_found', `no chat with ${quote(phone.phone)}`);
    if (visible.length > 1) {
      throw new AppError(
        'invalid_input',
        `${quote(phone.phone)} has ${visible.length === 10 ? '10 or more' : visible.length} chats you can see; name one by its id: ` +
          visible.join(', '),
      );
    }
    return only;
  }

  /** A chat in one line, as the caller may see it (`viewChat`), or as an action returned it. */
  async function chatLine(caller: SlackCaller, chatOrId: string | ChatSummary): Promise<string> {
    const summary =
      typeof chatOrId === 'string'
        ? (
            await viewChat(
              { access: deps.access, reads: chatReads(deps.db) },
              { actor: caller.principal, workspaceId: caller.workspaceId, chatId: chatOrId },
            )
          ).chat
        : chatOrId;
    const chat = presentChat(caller.principal, summary);
    const contact = [chat.contact.phone, chat.contact.email].filter(Boolean).join(', ');
    return `*${quote(chat.contact.name)}*${contact ? ` (${quote(contact)})` : ''} · \`${chat.id}\` · ${assigneeLabel(caller.facts, chat.assignee)}`;
  }

  function restrictionWords(words: Word[], value: boolean): Restrictions {
    if (words.length === 0) throw new UsageError('name at least one restriction');
    const out: Record<string, unknown> = {};
    for (const word of words) {
      const [rawKey = '', rawValue] = (text(word) ?? '').split('=', 2);
      const key = restrictionKeys.get(rawKey.toLowerCase());
      if (!key) {
        throw new UsageError(`no restriction ${quote(rawKey)}`);
      }
      if (key === 'chatVisibility') {
        const visibility =
          rawValue ??
          (rawKey.toLowerCase() === 'self'
            ? 'self'
            : rawKey.toLowerCase() === 'team'
              ? 'team'
              : undefined);
        out[key] = value ? visibility : true;
        if (value && visibility !== 'self' && visibility !== 'team')
          throw new UsageError('chat visibility is visibility=team or visibility=self');
      } else {
        out[key] = true;
      }
    }
    return out;
  }

  // ----- the commands -----

  const commands: Record<string, Command> = {
    help: {
      usage: 'help',
      summary: 'this list',
      run: () => Promise.resolve(help()),
    },

    users: {
      usage: 'users [text]',
      summary: 'members and invitations: role, status, teams, online or last seen',
      async run({ caller, words }) {
        const now = deps.now();
        const filter = words
          .map((w) => (w.kind === 'text' ? w.value : w.raw).toLowerCase())
          .join(' ');
        const members = (await memberListFor(deps, caller.principal)).items;
        const teamNames = new Map(caller.facts.teams.map((t) => [t.id, t.name]));
        const shown = members.filter((m) =>
          `${m.user.name} ${m.user.email} ${roleLabel(caller.facts, m.role)} ${m.status}`
            .toLowerCase()
            .includes(filter),
        );
        return message(
          `*${shown.length} ${shown.length === 1 ? 'person' : 'people'}*${filter ? ` matching “${quote(filter)}”` : ''}`,
          shown.map((m) => {
            const teamsText = m.teamIds.map((id) => teamNames.get(id) ?? id).join(', ');
            const seen = m.online
              ? ':large_green_circle: online'
              : m.lastSeenAt
                ? `last seen ${ago(now, new Date(m.lastSeenAt))}`
                : 'never seen';
            return `• *${quote(m.user.name)}* ${quote(m.user.email)} · ${roleLabel(caller.facts, m.role)} · ${m.status}${teamsText ? ` · ${quote(teamsText)}` : ''} · ${seen}`;
          }),
        );
      },
    },

    invite: {
      usage: 'invite <email> <role> [team…]',
      summary: 'invite someone with a role, into teams',
      async run({ caller, words }) {
        const [emailWord, roleWord, ...teamWords] = words;
        const email = emailOf(text(emailWord) ?? '');
        if (!email) throw new UsageError('the first word is the email to invite');
        const role = roleArg(caller.facts, roleWord);
        const teamList = teamWords.map((w) => teamArg(caller.facts, w));
        const invitation = await inviteMember(people, {
          actor: caller.principal,
          workspaceId: caller.workspaceId,
          email,
          name: email.slice(0, email.indexOf('@')),
          role,
          teamIds: teamList.map((t) => t.id),
          restrictions: {},
        });
        return message(
          `:envelope: Invited *${quote(email)}* as ${roleLabel(caller.facts, role)}${teamList.length ? ` in ${quote(teamList.map((t) => t.name).join(', '))}` : ''}.`,
          [`Their invitation token, shown this once: \`${invitation.token}\``],
          `They accept it with POST ${quote(deps.publicUrl)}/v1/invitations/accept {"token": "…", "name": "…"}; it is valid for 7 days.`,
        );
      },
    },

    role: {
      usage: 'role <user> <role>',
      summary: 'change a member’s role',
      async run(ctx) {
        const { caller, words } = ctx;
        const member = await memberArg(ctx, words[0]);
        const role = roleArg(caller.facts, words[1]);
        await changeMemberAccess(people, {
          actor: caller.principal,
          workspaceId: caller.workspaceId,
          userId: member.userId,
          role,
        });
        return line(
          `:white_check_mark: *${quote(member.name)}* is now ${roleLabel(caller.facts, role)}.`,
        );
      },
    },

    restrict: {
      usage: `restrict <user> <restriction…>  (${restrictionHelp})`,
      summary: 'add restrictions to a member',
      run: (ctx) => changeRestrictions(ctx, true),
    },

    unrestrict: {
      usage: `unrestrict <user> <restriction…>  (${restrictionHelp})`,
      summary: 'lift restrictions of a member',
      run: (ctx) => changeRestrictions(ctx, false),
    },

    suspend: {
      usage: 'suspend <user>',
      summary: 'suspend a member: no access at all, at once; their chats stay',
      run: (ctx) => changeStatus(ctx, 'suspend'),
    },

    reinstate: {
      usage: 'reinstate <user>',
      summary: 'reinstate a suspended member',
      run: (ctx) => changeStatus(ctx, 'reinstate'),
    },

    revoke: {
      usage: 'revoke <user> [to <user>]',
      summary: 'revoke a member for good; their chats move to the heir, or are unassigned',
      async run(ctx) {
        const { caller, words } = ctx;
        const [userWord, toWord, heirWord, ...rest] = words;
        if (toWord && (text(toWord)?.toLowerCase() !== 'to' || !heirWord || rest.length))
          throw new UsageError('write the heir after “to”');
        const member = await memberArg(ctx, userWord);
        const heir = heirWord ? await memberArg(ctx, heirWord, 'heir') : undefined;
        const plan = await planRevoke(
          {
            access: deps.access,
            countAssignedChats: (ws, userId) => countAssignedChats(deps.db, ws, userId),
          },
          {
            actor: caller.principal,
            workspaceId: caller.workspaceId,
            userId: member.userId,
            ...(heir ? { reassignTo: heir.userId } : {}),
          },
        );
        const chats = `${plan.chats} ${plan.chats === 1 ? 'chat' : 'chats'}`;
        const request: RevokeRequest = {
          userId: member.userId,
          ...(heir ? { reassignTo: heir.userId } : {}),
        };
        return withButtons(
          message(
            `:warning: Revoke *${quote(member.name)}* (${quote(member.email)})? This cannot be undone.`,
            [
              plan.heir
                ? `${chats} and their channel accounts will move to *${quote(plan.heir.name)}*.`
                : `${chats} will become unassigned; their channel accounts go to HQ.`,
            ],
          ),
          [
            {
              actionId: REVOKE_CONFIRM,
              text: 'Revoke',
              value: JSON.stringify(request),
              style: 'danger',
            },
            { actionId: REVOKE_CANCEL, text: 'Cancel', value: JSON.stringify(request) },
          ],
        );
      },
    },

    teams: {
      usage: 'teams',
      summary: 'the workspace’s teams',
      run({ caller }) {
        const { facts } = caller;
        const live = facts.teams.filter((t) => t.status !== 'deleted');
        const names = new Map(live.map((t) => [t.id, t.name]));
        return Promise.resolve(
          message(
            `*${live.length} ${live.length === 1 ? 'team' : 'teams'}*`,
            live.map((t) => {
              const size = facts.teamMembers.filter((m) => m.teamId === t.id).length;
              const parent = t.parentId
                ? ` · under ${quote(names.get(t.parentId) ?? t.parentId)}`
                : '';
              return `• *${quote(t.name)}* \`${t.id}\` · ${size} ${size === 1 ? 'member' : 'members'}${parent}${t.status === 'active' ? '' : ` · ${t.status}`}`;
            }),
          ),
        );
      },
    },

    team: {
      usage: 'team add|remove <team> <user>',
      summary: 'add someone to a team, or remove them',
      async run(ctx) {
        const { caller, words } = ctx;
        const action = text(words[0])?.toLowerCase();
        if (action !== 'add' && action !== 'remove') throw new UsageError('add or remove?');
        const team = teamArg(caller.facts, words[1]);
        const member = await memberArg(ctx, words[2]);
        await changeTeamMembership(teams, {
          actor: caller.principal,
          workspaceId: caller.workspaceId,
          teamId: team.id,
          userId: member.userId,
          action,
        });
        return line(
          action === 'add'
            ? `:white_check_mark: *${quote(member.name)}* is in *${quote(team.name)}* now.`
            : `:white_check_mark: *${quote(member.name)}* is no longer in *${quote(team.name)}*.`,
        );
      },
    },

    'who-can-see': {
      usage: 'who-can-see <chat>',
      summary: 'everyone who can see a chat',
      async run(ctx) {
        const { caller } = ctx;
        const chatId = await chatArg(ctx, ctx.words[0]);
        const who = await listAudience(deps, {
          workspaceId: caller.workspaceId,
          chatId,
          action: 'chat.view',
          asker: caller.principal,
        });
        const users = await usersByName(
          deps.db,
          who.map((p) => p.userId),
        );
        return message(
          `*${users.length} ${users.length === 1 ? 'person sees' : 'people see'}* ${await chatLine(caller, chatId)}`,
          users.map((u) => `• ${quote(u.name)} ${quote(u.email)}`),
        );
      },
    },

    why: {
      usage: 'why <user> <chat>',
      summary: 'whether someone can see a chat, and why',
      async run(ctx) {
        const { caller, words } = ctx;
        const member = await memberArg(ctx, words[0]);
        const chatId = await chatArg(ctx, words[1]);
        const decision = await explainAccess(deps, {
          workspaceId: caller.workspaceId,
          userId: member.userId,
          chatId,
          action: 'chat.view',
          asker: caller.principal,
        });
        return message(
          `${decision.allowed ? ':white_check_mark:' : ':no_entry:'} *${quote(member.name)}* ${decision.allowed ? 'can' : 'cannot'} see ${await chatLine(caller, chatId)}`,
          decision.reasons.map((r) => `• ${quote(r)}`),
        );
      },
    },

    assign: {
      usage: 'assign <chat> <user|team|nobody>',
      summary: 'assign a chat to a member or a team, or unassign it',
      async run(ctx) {
        const { caller, words } = ctx;
        const chatId = await chatArg(ctx, words[0]);
        const to = words[1];
        let target: AssigneeRef;
        if (!to) throw new UsageError('assign it to whom?');
        if (text(to)?.toLowerCase() === 'nobody') target = null;
        else if (to.kind === 'mention' || to.value.includes('@'))
          target = { type: 'user', userId: (await memberArg(ctx, to)).userId };
        else target = { type: 'team', teamId: teamArg(caller.facts, to).id };
        const assigned = await assignChat(assignments, {
          principal: caller.principal,
          chatId,
          target,
        });
        return line(`:white_check_mark: Assigned: ${await chatLine(caller, assigned)}`);
      },
    },

    jobs: {
      usage: 'jobs',
      summary: 'recent background jobs you may follow (revokes, reassignments)',
      async run({ caller }) {
        const rows = await listJobs(
          { jobs: jobsSource(deps.db) },
          { actor: caller.principal, workspaceId: caller.workspaceId, limit: 15 },
        );
        const now = deps.now();
        return message(
          rows.length
            ? `*${rows.length} recent ${rows.length === 1 ? 'job' : 'jobs'}*`
            : 'No jobs you may follow.',
          rows.map((row) => {
            const job = presentJob(caller.principal, row);
            return `• \`${job.id}\` ${job.type} · ${job.state} · ${job.progress.done}/${job.progress.total} · ${ago(now, row.created_at)}`;
          }),
        );
      },
    },

    export: {
      usage: 'export users',
      summary: 'the member list as CSV, sent to you in a direct message',
      async run({ caller, words, slack }) {
        if (text(words[0])?.toLowerCase() !== 'users' || words.length > 1)
          throw new UsageError('only “export users” exists');
        assertMayExportMembers(caller.principal);
        const members = (await memberListFor(deps, caller.principal)).items;
        const teamNames = new Map(caller.facts.teams.map((t) => [t.id, t.name]));
        await slack.uploadToCaller({
          filename: 'members.csv',
          content: toCsv(MEMBERS_CSV_HEADER, memberCsvRows(members, teamNames)),
          comment: `The members of this Switchboard workspace (${members.length} rows).`,
        });
        return line(
          `:page_facing_up: The member list (${members.length} rows) is in your direct messages.`,
        );
      },
    },
  };

  async function changeRestrictions(ctx: CommandContext, add: boolean): Promise<SlackMessage> {
    const { caller, words } = ctx;
    const member = await memberArg(ctx, words[0]);
    const named = restrictionWords(words.slice(1), add);
    // Applied to the member's restrictions as they are when the row is locked (core).
    await changeMemberAccess(people, {
      actor: caller.principal,
      workspaceId: caller.workspaceId,
      userId: member.userId,
      restrictionChanges: add
        ? { add: named, lift: [] }
        : { add: {}, lift: Object.keys(named) as RestrictionKey[] },
    });
    const now = (await deps.access.workspaceAccess(caller.workspaceId)).members.find(
      (m) => m.userId === member.userId,
    )?.restrictions;
    const list = Object.entries(now ?? {}).map(([k, v]) => (v === true ? k : `${k}=${String(v)}`));
    return line(
      `:white_check_mark: *${quote(member.name)}*’s restrictions: ${list.length ? list.join(', ') : 'none'}.`,
    );
  }

  async function changeStatus(ctx: CommandContext, action: 'suspend' | 'reinstate') {
    const { caller, words } = ctx;
    if (words.length !== 1) throw new UsageError('name one member');
    const member = await memberArg(ctx, words[0]);
    await changeMemberStatus(people, {
      actor: caller.principal,
      workspaceId: caller.workspaceId,
      userId: member.userId,
      action,
    });
    return line(
      action === 'suspend'
        ? `:pause_button: *${quote(member.name)}* is suspended: no access at all, from now on. Their chats stay assigned.`
        : `:arrow_forward: *${quote(member.name)}* is reinstated.`,
    );
  }

  function help(): SlackMessage {
    return message(
      `*${commandName}* runs this Switchboard workspace from Slack, with your own rights.`,
      Object.values(commands).map((c) => `• \`${commandName} ${quote(c.usage)}\` — ${c.summary}`),
      '<user> is a mention or an email; <chat> is a chat id or the contact’s phone.',
    );
  }

  /** The usage of one command, after what was wrong with the words given. */
  function usage(name: string, problem: string): SlackMessage {
    const command = commands[name];
    return line(
      command
        ? `${quote(problem)}. Usage: \`${commandName} ${quote(command.usage)}\``
        : `No command “${quote(name)}”. \`${commandName} help\` lists them.`,
    );
  }

  return {
    /** Runs `name` for the caller; throws AppError / UsageError for the bot to present. */
    run(name: string, ctx: CommandContext): Promise<SlackMessage> {
      const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
      if (!command) return Promise.resolve(usage(name, ''));
      return command.run(ctx);
    },
    usage,
    help,
  };
}

const restrictionKeys = new Map<string, keyof Restrictions>([
  ...Object.keys(restrictionsSchema.shape).map(
    (k) => [k.toLowerCase(), k as keyof Restrictions] as const,
  ),
  ['mask', 'maskContactIdentifiers'],
  ['visibility', 'chatVisibility'],
  ['self', 'chatVisibility'],
  ['team', 'chatVisibility'],
]);

const restrictionHelp =
  'mask, visibility=team|self, noWorkspaceSettings, noContactDeletion, noDataExport, noIntegrations, noChannelConnection, noWorkflows';

const emailSchema = z.email().max(254);

function emailOf(value: string): string | undefined {
  const parsed = emailSchema.safeParse(value.trim());
  return parsed.success ? parsed.data.toLowerCase() : undefined;
}

function roleLabel(facts: WorkspaceAccessFacts, role: string): string {
  if (isBuiltInRole(role)) return builtInRoles[role].name;
  return quote(facts.customRoles.find((r) => r.id === role)?.name ?? role);
}

function assigneeLabel(
  facts: WorkspaceAccessFacts,
  assignee: { type: 'user' | 'team'; id: string } | null,
) {
  if (!assignee) return 'unassigned';
  if (assignee.type === 'team')
    return `team ${quote(facts.teams.find((t) => t.id === assignee.id)?.name ?? assignee.id)}`;
  return quote(facts.members.find((m) => m.userId === assignee.id)?.name ?? assignee.id);
}

function ago(now: Date, then: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (s < 90) return 'just now';
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}
