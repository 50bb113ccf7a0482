import { App, LogLevel, type Logger } from '@slack/bolt';
import type pino from 'pino';
import { z } from 'zod';
import { AppError } from '../../core/errors.js';
import { resolveMember } from '../../core/identity/resolve-member.js';
import { startRevoke } from '../../core/people/start-revoke.js';
import { viewJob } from '../../core/people/view-job.js';
import type { Principal } from '../../core/access/index.js';
import { workspaceOfSlackTeam } from '../db/integrations-store.js';
import { jobLookup } from '../db/jobs.js';
import { peopleStore } from '../db/people-store.js';
import type { Presence } from '../http/presence.js';
import { currentLogContext } from '../logging/log-context.js';
import { presentJob } from '../present/job.js';
import { SlackCallers, SlackRefusal, type SlackCaller } from './caller.js';
import {
  REVOKE_CANCEL,
  REVOKE_CONFIRM,
  slackCommands,
  UsageError,
  type RevokeRequest,
  type SlackDeps,
  type SlackSide,
} from './commands.js';
import { line, message, type SlackMessage } from './message.js';
import { FastifySlackReceiver } from './receiver.js';
import { splitWords } from './words.js';

/** The Slack app's settings (environment: SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, …). */
export interface SlackSettings {
  signingSecret: string;
  botToken: string;
  /** The slash command, `/switchboard` unless set. */
  command: string;
  /** Slack's Web API, ending in `/` (`https://slack.com/api/`); tests point it at a fake. */
  apiUrl: string;
  /** How often a revoke's progress is read while its message is kept up to date. */
  progressPollMs?: number;
}

export interface SlackBotDeps extends SlackDeps {
  /** Records "last seen" as members use the bot, as the API does. */
  presence: Presence;
  log: pino.Logger;
}

/** A command's answer must be acknowledged within Slack's 3 s: slower work answers later. */
const ANSWER_NOW_MS = 2_000;
/** Slack allows a response_url five messages in 30 minutes. */
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_LIFETIME_MS = 30 * 60_000;
const MIN_PROGRESS_INTERVAL_MS = 3_000;
/** Following a job stops a minute before its response_url expires, so the last line still gets there. */
const FOLLOW_FOR_MS = RESPONSE_URL_LIFETIME_MS - 60_000;

const ephemeral = (m: SlackMessage) => ({ response_type: 'ephemeral' as const, ...m });

const revokeRequest = z.object({
  userId: z.string().min(1).max(100),
  reassignTo: z.string().min(1).max(100).optional(),
});

/**
 * The admin bot (issue 19): one Bolt app whose requests arrive through Switchboard's own HTTP
 * server (`FastifySlackReceiver`); `/switchboard <command>` runs the command as the member
 * the Slack user is (`SlackCallers`), and the revoke's buttons start the job and keep one
 * message up to date with its progress.
 */
export function createSlackBot(deps: SlackBotDeps, settings: SlackSettings) {
  const log = deps.log.child({ adapter: 'slack' });
  const receiver = new FastifySlackReceiver((msg, error) => log.warn({ err: error }, msg));
  const bolt = new App({
    receiver,
    // One Slack app, one bot token: no OAuth installs, no call to Slack at start-up.
    authorize: () => Promise.resolve({ botToken: settings.botToken }),
    clientOptions: {
      slackApiUrl: settings.apiUrl,
      // A slow Slack must not hold a command for Bolt's default half hour of retries.
      retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 500 },
      timeout: 5_000,
    },
    logger: boltLogger(log),
  });
  const client = bolt.client;
  const token = settings.botToken;
  const callers = new SlackCallers({
    identity: deps.identity,
    access: deps.access,
    workspaceOfTeam: (teamId) => workspaceOfSlackTeam(deps.db, teamId),
    slackEmail: async (user) => {
      const info = await client.users.info({ token, user });
      return info.user?.profile?.email ?? undefined;
    },
    now: () => Date.now(),
  });
  const commands = slackCommands(deps, settings.command);
  const people = {
    store: peopleStore(deps.db),
    access: deps.access,
    events: deps.events,
    now: () => deps.now(),
  };
  let closed = false;

  /** The caller, or a one-line refusal that ends the request. */
  async function callerOf(teamId: string | undefined, slackUserId: string) {
    if (!teamId) return line('Switchboard cannot tell which Slack workspace this came from.');
    try {
      const caller = await callers.resolve(teamId, slackUserId);
      await deps.presence.seen(caller.workspaceId, caller.user.id);
      return caller;
    } catch (error) {
      if (error instanceof SlackRefusal) return line(`:no_entry: ${error.message}`);
      throw error;
    }
  }

  function slackSide(caller: { slackUserId: string }): SlackSide {
    return {
      emailOf: (slackUserId) => callers.emailOf(slackUserId),
      async uploadToCaller(file) {
        const dm = await client.conversations.open({ token, users: caller.slackUserId });
        const channelId = dm.channel?.id;
        if (!channelId) throw new Error('Slack opened no direct message channel');
        await client.files.uploadV2({
          token,
          channel_id: channelId,
          filename: file.filename,
          content: file.content,
          initial_comment: file.comment,
        });
      },
    };
  }

  /** What went wrong, said to the caller: the reason a use case gave, never a stack trace. */
  function failure(name: string, error: unknown): SlackMessage {
    if (error instanceof UsageError) return commands.usage(name, error.message);
    if (error instanceof AppError) {
      const details = error.details?.map((d) => d.message).join('; ');
      const text = `${error.message}${details ? ` (${details})` : ''}`;
      switch (error.code) {
        case 'forbidden':
          return line(`:no_entry: ${text}`);
        case 'not_found':
          return line(`:mag: ${text}`);
        case 'invalid_input':
          return commands.usage(name, text);
        case 'unavailable':
          return line(`:hourglass: ${text}: try again in a moment`);
        default:
          if (error.code !== 'internal') return line(`:warning: ${text}`);
      }
    }
    log.error({ err: error, command: name }, 'a Slack command failed');
    const reqId = currentLogContext()?.reqId;
    return line(
      `:boom: Something went wrong in Switchboard${reqId ? ` (request ${reqId})` : ''}; nothing more is known here. The server’s log has the details.`,
    );
  }

  async function answer(teamId: string | undefined, slackUserId: string, text: string) {
    const [first, ...words] = splitWords(text);
    const name = first?.kind === 'text' ? first.value.toLowerCase() : 'help';
    // Usage is no secret, and it answers before the Slack team is linked (the first try).
    if (name === 'help') return commands.help();
    try {
      const caller = await callerOf(teamId, slackUserId);
      if (!('principal' in caller)) return caller;
      return await commands.run(name, { caller, words, slack: slackSide(caller) });
    } catch (error) {
      return failure(name, error);
    }
  }

  bolt.command(settings.command, async ({ command, ack, respond }) => {
    const work = answer(command.team_id, command.user_id, command.text);
    const now = await Promise.race([work, sleep(ANSWER_NOW_MS)]);
    if (now) {
      await ack(ephemeral(now));
      return;
    }
    await ack(ephemeral(line(':hourglass_flowing_sand: Working on it…')));
    await respond({ ...ephemeral(await work), replace_original: true });
  });

  bolt.action(REVOKE_CANCEL, async ({ ack, respond }) => {
    await ack();
    await respond({ ...ephemeral(line('Cancelled: nobody was revoked.')), replace_original: true });
  });

  bolt.action(REVOKE_CONFIRM, async ({ ack, body, respond }) => {
    await ack();
    const replace = (m: SlackMessage) => respond({ ...ephemeral(m), replace_original: true });
    const value = body.type === 'block_actions' ? body.actions[0] : undefined;
    const parsed = revokeRequest.safeParse(
      value && 'value' in value ? safeJson(value.value ?? '') : undefined,
    );
    if (!parsed.success) {
      await replace(line(':warning: This button carries no revoke Switchboard understands.'));
      return;
    }
    const request: RevokeRequest = parsed.data;
    let caller: SlackCaller | SlackMessage;
    let jobId: string;
    try {
      caller = await callerOf(body.team?.id ?? body.user.team_id, body.user.id);
      if (!('principal' in caller)) {
        await replace(caller);
        return;
      }
      ({ jobId } = await startRevoke(people, {
        actor: caller.principal,
        workspaceId: caller.workspaceId,
        userId: request.userId,
        ...(request.reassignTo ? { reassignTo: request.reassignTo } : {}),
      }));
    } catch (error) {
      await replace(failure('revoke', error));
      return;
    }
    await followJob(caller, jobId, replace);
  });

  /**
   * Keeps the confirmation message showing the job's progress until it ends. A response_url
   * takes five messages: the start, at most three updates (one per 3 s at most), the end.
   * Following stops before the job ends when the caller may no longer follow it (suspended,
   * revoked, or their rights changed: asked again at every read), when the response_url is
   * about to expire, or when the server shuts down; the last message then says so, and that
   * the job goes on.
   */
  async function followJob(
    caller: SlackCaller,
    jobId: string,
    replace: (m: SlackMessage) => Promise<unknown>,
  ): Promise<void> {
    const started = Date.now();
    let uses = 0;
    let lastSent = 0;
    let lastText = '';
    const send = async (m: SlackMessage) => {
      uses += 1;
      lastSent = Date.now();
      lastText = m.text;
      await replace(m);
    };
    let stopped: FollowStop;
    try {
      for (;;) {
        if (closed) {
          stopped = 'shutdown';
          break;
        }
        if (Date.now() - started >= FOLLOW_FOR_MS) {
          stopped = 'time';
          break;
        }
        const principal = await principalNow(caller);
        const row = principal && (await followable(principal, jobId));
        if (!principal || !row) {
          stopped = 'lost';
          break;
        }
        const job = presentJob(principal, row);
        if (job.state === 'completed' || job.state === 'failed') {
          await send(finished(job));
          return;
        }
        const progress = message(
          `:hourglass_flowing_sand: Revoking… ${job.progress.done} of ${job.progress.total || '?'} chats moved.`,
          [],
          `Job \`${job.id}\``,
        );
        const due = Date.now() - lastSent >= MIN_PROGRESS_INTERVAL_MS || uses === 0;
        if (uses < RESPONSE_URL_USES - 1 && due && progress.text !== lastText) await send(progress);
        await sleep(settings.progressPollMs ?? 1_000);
      }
    } catch (error) {
      log.warn({ err: error, jobId }, 'following a revoke job failed');
      stopped = 'error';
    }
    // The fifth use of the response_url is kept for this line (progress takes at most three).
    try {
      await send(stoppedFollowing(settings.command, jobId, stopped));
    } catch (error) {
      log.warn({ err: error, jobId }, 'could not tell Slack that following a job stopped');
    }
  }

  /** The job, while `principal` may follow it (`viewJob`); undefined once they may not. */
  async function followable(principal: Principal, jobId: string) {
    try {
      return await viewJob({ jobs: jobLookup(deps.db) }, { actor: principal, jobId });
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found') return undefined;
      throw error;
    }
  }

  /** The caller's principal as it is now; undefined when they are no member any more, or suspended. */
  async function principalNow(caller: SlackCaller) {
    try {
      const now = await resolveMember(deps, { userId: caller.user.id }, caller.workspaceId);
      return now.principal;
    } catch (error) {
      if (error instanceof AppError) return undefined;
      throw error;
    }
  }

  function finished(job: ReturnType<typeof presentJob>): SlackMessage {
    if (job.state === 'failed') {
      return line(
        `:x: The revoke job \`${job.id}\` failed; the member has no access any more, and \`${settings.command} jobs\` shows the job. The server’s log says why.`,
      );
    }
    const r = job.result ?? {};
    const n = (key: string) => (typeof r[key] === 'number' ? r[key] : 0);
    return message(`:white_check_mark: Revoked. ${n('toHeir') + n('unassigned')} chats moved.`, [
      `• ${n('toHeir')} to the heir, ${n('unassigned')} unassigned`,
      `• ${n('channels')} channel accounts handed over`,
    ]);
  }

  return {
    receiver,
    signingSecret: settings.signingSecret,
    async close() {
      closed = true;
      await receiver.stop();
    },
  };
}

export type SlackBot = ReturnType<typeof createSlackBot>;

/** Why a revoke's message stopped following its job before the job ended. */
export type FollowStop = 'lost' | 'time' | 'shutdown' | 'error';

/**
 * The last line of a revoke's message when following its job stopped before the job ended:
 * why, and that the job goes on in the background (`command` is the configured slash command).
 */
export function stoppedFollowing(command: string, jobId: string, why: FollowStop): SlackMessage {
  const stopped = `:eyes: Stopped following the revoke job \`${jobId}\``;
  const goesOn = `it goes on in the background; \`${command} jobs\` shows it.`;
  switch (why) {
    case 'lost':
      return line(
        `${stopped}: you may no longer follow it. The job goes on in the background; an admin who may follow it sees it with \`${command} jobs\`.`,
      );
    case 'time':
      return line(
        `${stopped}: it has run for longer than Slack lets this message be updated; ${goesOn}`,
      );
    case 'shutdown':
      return line(`${stopped}: this Switchboard server is shutting down; ${goesOn}`);
    case 'error':
      return line(
        `${stopped}: its progress could not be read (the server’s log says why); ${goesOn}`,
      );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) =>
  new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms));

/** Bolt's log lines into Switchboard's log. */
function boltLogger(log: pino.Logger): Logger {
  let level = LogLevel.INFO;
  const write =
    (at: 'debug' | 'info' | 'warn' | 'error') =>
    (...msgs: unknown[]) =>
      log[at](msgs.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' '));
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel: (l) => (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}
