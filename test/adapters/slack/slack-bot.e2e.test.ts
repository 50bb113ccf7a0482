import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  client,
  createWorkspaceWithChannel,
  inboundChat as storedChat,
  startApi,
  type RunningApi,
} from '../../support/api.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { slackHeaders, startFakeSlack, type FakeSlack } from '../../support/fake-slack.js';

/**
 * The Slack admin bot over HTTP against the running server (issue 19): requests signed as
 * Slack signs them, the bot's Web API calls answered by a local fake Slack that records them,
 * `response_url`s pointing at that fake. Every command runs with the caller's own rights,
 * through the same use cases as the REST API, whose answers the tests check against.
 */
const SECRET = 'slack-signing-secret-for-tests';
const TEAM = 'T0SLACK1';

type Answer = { text: string; blocks: unknown[]; response_type?: string };

describe('Slack admin bot', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let slack: FakeSlack;
  let call: ReturnType<typeof client>;
  let ws: string;
  let owner: string;
  let channel: { id: string; secret: string };
  const people: Record<string, { id: string; token: string; email: string }> = {};

  beforeAll(async () => {
    t = await createTestDatabase();
    slack = await startFakeSlack();
    api = await startApi(t, {
      slack: {
        signingSecret: SECRET,
        botToken: 'xoxb-test-token',
        apiUrl: slack.apiUrl,
        progressPollMs: 50,
      },
    });
    call = client(api.base);
    ({ ws, owner, channel } = await createWorkspaceWithChannel(api, 'Slack Bot'));
    slack.users.set('UOWNER', 'O@slack-bot.test');
    for (const [key, role, restrictions] of [
      ['admin', 'admin', {}],
      ['teammate', 'teammate', {}],
      ['agent', 'agent', {}],
      ['masked', 'agent', { maskContactIdentifiers: true }],
      ['heir', 'agent', {}],
      ['leaver', 'agent', {}],
    ] as const) {
      const email = `${key}@slack-bot.test`;
      people[key] = await addMember(api, ws, owner, { email, name: key, role, restrictions });
      slack.users.set(`U${key.toUpperCase()}`, email);
    }
    slack.users.set('UNOEMAIL', undefined);
    slack.users.set('USTRANGER', 'stranger@elsewhere.test');
    const linked = await call('POST', `/v1/workspaces/${ws}/integrations`, {
      token: owner,
      body: { type: 'slack', teamId: TEAM },
    });
    expect(linked.status).toBe(201);
  });

  afterAll(async () => {
    await api.close();
    await slack.close();
    await t.drop();
  });

  /** A slash command as Slack sends it: form fields, signed. */
  function commandBody(user: string, text: string, team = TEAM, command = '/switchboard') {
    const response = slack.responseUrl();
    const raw = new URLSearchParams({
      token: 'legacy-verification-token',
      team_id: team,
      team_domain: 'acme',
      channel_id: 'C0GENERAL',
      channel_name: 'general',
      user_id: user,
      user_name: user.toLowerCase(),
      command,
      text,
      api_app_id: 'A0SWITCH',
      response_url: response.url,
      trigger_id: '1.2.3',
    }).toString();
    return { raw, response };
  }

  async function post(raw: string, headers: Record<string, string>) {
    return call('POST', '/slack/events', { raw, headers });
  }

  /** Runs a command and returns the bot's answer, from the HTTP answer or its response_url. */
  async function slash(user: string, text: string, team = TEAM): Promise<Answer> {
    const { raw, response } = commandBody(user, text, team);
    const reply = await post(raw, slackHeaders(SECRET, raw, 'application/x-www-form-urlencoded'));
    expect(reply.status, reply.text).toBe(200);
    const answer = reply.body as Answer;
    expect(answer.response_type).toBe('ephemeral');
    if (!answer.text.includes('Working on it')) return answer;
    await waitFor(() => response.posts.length > 0);
    return response.posts[0] as unknown as Answer;
  }

  /** A click on a button of a message the bot sent, as Slack posts it. */
  async function click(user: string, actionId: string, value: string) {
    const response = slack.responseUrl();
    const payload = {
      type: 'block_actions',
      team: { id: TEAM, domain: 'acme' },
      user: { id: user, team_id: TEAM, username: user.toLowerCase() },
      api_app_id: 'A0SWITCH',
      token: 'legacy-verification-token',
      container: { type: 'message', message_ts: '1.1', is_ephemeral: true },
      trigger_id: '1.2.4',
      response_url: response.url,
      actions: [
        {
          type: 'button',
          action_id: actionId,
          block_id: 'b1',
          value,
          action_ts: '1.3',
          text: { type: 'plain_text', text: 'x' },
        },
      ],
    };
    const raw = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const reply = await post(raw, slackHeaders(SECRET, raw, 'application/x-www-form-urlencoded'));
    expect(reply.status, reply.text).toBe(200);
    return response.posts;
  }

  const everything = (a: Answer | Record<string, unknown>) => JSON.stringify(a);

  async function member(userId: string) {
    const list = await call('GET', `/v1/workspaces/${ws}/members`, { token: owner });
    return list.body.items.find((m: { user: { id: string } }) => m.user.id === userId);
  }

  async function inboundChat(phone: string, name: string) {
    return storedChat(api, t, channel, phone, { name, phone }, `Hello, I am ${phone}`);
  }

  describe('signatures', () => {
    it('a request signed as Slack signs it is answered; wrong, stale, future or unsigned: 401 and nothing runs', async () => {
      const { raw } = commandBody('UOWNER', 'help');
      const form = 'application/x-www-form-urlencoded';
      const callsBefore = slack.calls.length;
      const now = Math.floor(Date.now() / 1000);
      for (const headers of [
        slackHeaders('another-secret', raw, form),
        slackHeaders(SECRET, raw, form, now - 6 * 60),
        slackHeaders(SECRET, raw, form, now + 6 * 60),
        { 'content-type': form },
        // Signed for another body: a byte changed in transit.
        slackHeaders(SECRET, `${raw}x`, form),
      ]) {
        const reply = await post(raw, headers);
        expect(reply.status).toBe(401);
        expect(reply.body.error.code).toBe('unauthorized');
      }
      expect(slack.calls.length).toBe(callsBefore);
      const good = await post(raw, slackHeaders(SECRET, raw, form, now - 4 * 60));
      expect(good.status).toBe(200);
      expect(good.body.text).toContain('runs this Switchboard workspace');
    });

    it('answers Slack’s URL verification and SSL check', async () => {
      const raw = JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 'x' });
      const reply = await post(raw, slackHeaders(SECRET, raw, 'application/json'));
      expect(reply.body).toEqual({ challenge: 'abc123' });
      const ssl = 'ssl_check=1&token=x';
      expect(
        (await post(ssl, slackHeaders(SECRET, ssl, 'application/x-www-form-urlencoded'))).status,
      ).toBe(200);
    });
  });

  describe('who is calling', () => {
    it('help lists every command; an unknown one or malformed arguments get usage, not a trace', async () => {
      const help = await slash('UOWNER', 'help');
      for (const command of [
        'users',
        'invite',
        'role',
        'restrict',
        'unrestrict',
        'suspend',
        'reinstate',
        'revoke',
        'teams',
        'team add|remove',
        'who-can-see',
        'why',
        'assign',
        'jobs',
        'export users',
      ]) {
        expect(everything(help)).toContain(`/switchboard ${command}`);
      }
      expect((await slash('UOWNER', '')).text).toContain('runs this Switchboard workspace');
      expect((await slash('UOWNER', 'frobnicate')).text).toContain('No command “frobnicate”');
      const malformed = await slash('UOWNER', 'role');
      expect(malformed.text).toContain('Usage: /switchboard role <user> <role>');
      const badRole = await slash('UOWNER', `role ${people.agent!.email} emperor`);
      expect(badRole.text).toContain('no role emperor');
      expect(everything(badRole)).not.toMatch(/at .*\.ts:\d+/);
    });

    it('a slash command of another name than SLACK_COMMAND is not dispatched: 404, nothing runs, nothing is said', async () => {
      const calls = slack.calls.length;
      const { raw, response } = commandBody('UOWNER', 'users', TEAM, '/switchboard-old');
      const reply = await post(raw, slackHeaders(SECRET, raw, 'application/x-www-form-urlencoded'));
      expect(reply.status).toBe(404);
      expect(reply.text).toBe('');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(response.posts).toHaveLength(0);
      expect(slack.calls.length).toBe(calls);
    });

    it('a Slack user who maps to nobody, or gives no email, or an unlinked team, gets one line and nothing runs', async () => {
      const stranger = await slash('USTRANGER', 'users');
      expect(stranger.text).toContain('stranger@elsewhere.test');
      expect(stranger.text).toContain('is not a member');
      expect(stranger.blocks).toHaveLength(1);
      const noEmail = await slash('UNOEMAIL', 'users');
      expect(noEmail.text).toContain('users:read.email');
      const unlinked = await slash('UOWNER', 'users', 'T0OTHER');
      expect(unlinked.text).toContain('not linked to Switchboard');
      // Usage is no secret: it answers before the team is linked, with no call to Slack.
      const calls = slack.calls.length;
      expect((await slash('UNOBODY', 'help', 'T0OTHER')).text).toContain(
        'runs this Switchboard workspace',
      );
      expect(slack.calls.length).toBe(calls);
    });

    it('a Slack user’s email is asked of Slack once for a while, and again when it names nobody', async () => {
      slack.users.set('UCHANGING', 'stranger@elsewhere.test');
      const infos = () =>
        slack.calls.filter((c) => c.method === 'users.info' && c.params.user === 'UCHANGING')
          .length;
      expect((await slash('UCHANGING', 'teams')).text).toContain('is not a member');
      const asked = infos();
      // They fix their Slack profile: the refusal asks Slack again, and the command runs.
      slack.users.set('UCHANGING', people.teammate!.email);
      expect((await slash('UCHANGING', 'teams')).text).toMatch(/^\d+ teams?/);
      expect(infos()).toBe(asked + 1);
      // Kept now: the next commands do not ask Slack.
      await slash('UCHANGING', 'teams');
      await slash('UCHANGING', 'users');
      expect(infos()).toBe(asked + 1);
    });

    it('work slower than Slack’s 3 seconds is acknowledged at once and answered through response_url', async () => {
      slack.users.set('USLOW', people.teammate!.email);
      slack.usersInfoDelayMs = 2_500;
      try {
        const { raw, response } = commandBody('USLOW', 'teams');
        const reply = await post(
          raw,
          slackHeaders(SECRET, raw, 'application/x-www-form-urlencoded'),
        );
        expect(reply.status).toBe(200);
        expect(reply.body.text).toContain('Working on it');
        // Acknowledged while the work still waits for Slack: its answer has not come yet.
        expect(response.posts).toHaveLength(0);
        await waitFor(() => response.posts.length > 0);
        expect(response.posts[0]).toMatchObject({
          response_type: 'ephemeral',
          replace_original: true,
        });
        expect(String(response.posts[0]!.text)).toMatch(/^\d+ teams?/);
      } finally {
        slack.usersInfoDelayMs = 0;
      }
    });

    it('a Teammate typing revoke is refused with the privilege they lack; nothing changes', async () => {
      slack.users.set('UTEAMMATE', people.teammate!.email);
      const refused = await slash('UTEAMMATE', `revoke ${people.leaver!.email}`);
      expect(refused.text).toMatch(/may not manage users/);
      expect((await member(people.leaver!.id)).status).toBe('active');
      const invite = await slash('UTEAMMATE', 'invite x@slack-bot.test agent');
      expect(invite.text).toMatch(/may not manage users/);
    });
  });

  describe('commands', () => {
    it('users lists people with role, status, teams and presence, filtered by text', async () => {
      const all = await slash('UOWNER', 'users');
      expect(all.text).toMatch(/^\d+ people/);
      expect(everything(all)).toContain('masked@slack-bot.test');
      expect(everything(all)).toContain('Agent');
      const some = await slash('UOWNER', 'users admin');
      expect(some.text).toMatch(/^1 person matching/);
      expect(everything(some)).toContain('admin@slack-bot.test');
      expect(everything(some)).not.toContain('agent@slack-bot.test');
    });

    it('invite creates the same pending invitation the API does, into teams by name', async () => {
      const team = await call('POST', `/v1/workspaces/${ws}/teams`, {
        token: owner,
        body: { name: 'Sales EU' },
      });
      const invited = await slash('UOWNER', 'invite New.Person@Slack-Bot.test agent "Sales EU"');
      expect(invited.text).toContain('Invited new.person@slack-bot.test as Agent in Sales EU');
      expect(everything(invited)).toMatch(/sbi_|inv_|`[A-Za-z0-9_-]{20,}`/);
      const list = await call('GET', `/v1/workspaces/${ws}/members`, { token: owner });
      const pending = list.body.items.find(
        (m: { user: { email: string } }) => m.user.email === 'new.person@slack-bot.test',
      );
      expect(pending).toMatchObject({
        status: 'pending',
        role: 'agent',
        teamIds: [team.body.team.id],
      });
    });

    it('role, restrict and unrestrict change the member as the API shows them; a mention names a member', async () => {
      expect((await slash('UOWNER', `role <@UAGENT|agent> teammate`)).text).toContain(
        'is now Teammate',
      );
      expect((await member(people.agent!.id)).role).toBe('teammate');
      await slash('UOWNER', `role <mailto:${people.agent!.email}|${people.agent!.email}> agent`);
      expect((await member(people.agent!.id)).role).toBe('agent');

      const restricted = await slash(
        'UOWNER',
        `restrict <@UAGENT> mask visibility=self noDataExport`,
      );
      expect(restricted.text).toContain('maskContactIdentifiers');
      expect((await member(people.agent!.id)).restrictions).toEqual({
        maskContactIdentifiers: true,
        chatVisibility: 'self',
        noDataExport: true,
      });
      await slash('UOWNER', `unrestrict <@UAGENT> mask visibility`);
      expect((await member(people.agent!.id)).restrictions).toEqual({ noDataExport: true });
      expect((await slash('UOWNER', `restrict <@UAGENT> fly`)).text).toContain(
        'no restriction fly',
      );
    });

    it('suspend ends access at once, in Slack too; reinstate gives it back', async () => {
      slack.users.set('UADMIN', people.admin!.email);
      expect((await slash('UADMIN', 'teams')).text).toMatch(/team/);
      const suspended = await slash('UOWNER', `suspend <@UADMIN>`);
      expect(suspended.text).toContain('is suspended');
      expect((await member(people.admin!.id)).status).toBe('suspended');
      // The suspended admin's very next command is refused; nothing else runs.
      const refused = await slash('UADMIN', `suspend <@UAGENT>`);
      expect(refused.text).toContain('is suspended');
      expect((await member(people.agent!.id)).status).toBe('active');
      expect((await slash('UOWNER', `reinstate <@UADMIN>`)).text).toContain('is reinstated');
      expect((await member(people.admin!.id)).status).toBe('active');
      expect((await slash('UADMIN', 'teams')).text).toMatch(/team/);
    });

    it('teams and team add/remove', async () => {
      await call('POST', `/v1/workspaces/${ws}/teams`, { token: owner, body: { name: 'Support' } });
      const teams = await slash('UOWNER', 'teams');
      expect(everything(teams)).toContain('Support');
      expect((await slash('UOWNER', `team add support <@UHEIR>`)).text).toContain('is in Support');
      const supportId = (
        await call('GET', `/v1/workspaces/${ws}/teams`, { token: owner })
      ).body.items.find((x: { name: string }) => x.name === 'Support').id;
      expect((await member(people.heir!.id)).teamIds).toContain(supportId);
      expect((await slash('UOWNER', `team remove Support <@UHEIR>`)).text).toContain(
        'no longer in Support',
      );
      expect((await member(people.heir!.id)).teamIds).not.toContain(supportId);
      expect((await slash('UOWNER', `team join Support <@UHEIR>`)).text).toContain('Usage');
    });

    it('assign, who-can-see and why, by chat id or phone; masking holds in everything the bot shows', async () => {
      const chatId = await inboundChat('+4930111222', '+49 30 111222');
      // By the contact's phone, in another spelling.
      const assigned = await slash('UOWNER', `assign 004930111222 <@UMASKED>`);
      expect(assigned.text).toContain('Assigned');
      expect(assigned.text).toContain(chatId);
      expect(
        (await call('GET', `/v1/workspaces/${ws}/chats/${chatId}`, { token: owner })).body.chat
          .assignee,
      ).toEqual({ type: 'user', id: people.masked!.id });

      const who = await slash('UOWNER', `who-can-see ${chatId}`);
      expect(everything(who)).toContain('masked@slack-bot.test');
      expect(everything(who)).not.toContain('agent@slack-bot.test');
      const why = await slash('UOWNER', `why <@UMASKED> ${chatId}`);
      expect(why.text).toContain('masked can see');
      const whyNot = await slash('UOWNER', `why <@UHEIR> ${chatId}`);
      expect(whyNot.text).toContain('heir cannot see');

      // The masked agent: the chat is theirs, its number never reaches them.
      const theirs = await slash('UMASKED', `who-can-see ${chatId}`);
      expect(theirs.text).toContain(chatId);
      const shown = everything(theirs);
      expect(shown).not.toMatch(/111222|30 ?111/);
      expect(shown).toContain('••');
      // Nor may they look a chat up by a number.
      const lookup = await slash('UMASKED', 'who-can-see +4930111222');
      expect(lookup.text).toContain('masked for you');
      // An agent who does not see the chat is told it does not exist.
      expect((await slash('UHEIR', `who-can-see ${chatId}`)).text).toContain('no such chat');
    });

    it('assign to a team by its name, and to nobody, changes the chat’s assignee as the API shows it', async () => {
      const team = await call('POST', `/v1/workspaces/${ws}/teams`, {
        token: owner,
        body: { name: 'Night Shift' },
      });
      expect(team.status).toBe(201);
      const chatId = await inboundChat('+4930222333', 'Night customer');
      const assignee = async () =>
        (await call('GET', `/v1/workspaces/${ws}/chats/${chatId}`, { token: owner })).body.chat
          .assignee;

      const toTeam = await slash('UOWNER', `assign ${chatId} "night shift"`);
      expect(toTeam.text).toContain('Assigned');
      expect(toTeam.text).toContain('team Night Shift');
      expect(await assignee()).toEqual({ type: 'team', id: team.body.team.id });

      const toNobody = await slash('UOWNER', `assign ${chatId} nobody`);
      expect(toNobody.text).toContain('Assigned');
      expect(toNobody.text).toContain('unassigned');
      expect(await assignee()).toBeNull();

      expect((await slash('UOWNER', `assign ${chatId} "Day Shift"`)).text).toContain(
        'no team Day Shift',
      );
      expect(await assignee()).toBeNull();
    });

    it('export users uploads the members CSV into the caller’s direct messages; a Teammate may not', async () => {
      const before = slack.uploads.length;
      const exported = await slash('UOWNER', 'export users');
      expect(exported.text).toContain('is in your direct messages');
      expect(slack.uploads.length).toBe(before + 1);
      const csv = slack.uploads.at(-1)!.file;
      expect(csv.split('\n')[0]).toContain('name,email,role,status,teams');
      expect(csv).toContain('masked@slack-bot.test');
      expect(slack.completed.at(-1)).toMatchObject({ channel_id: 'DUOWNER' });
      expect(
        slack.calls.filter((c) => c.method === 'conversations.open').at(-1)?.params.users,
      ).toBe('UOWNER');
      expect(slack.calls.every((c) => c.token === 'xoxb-test-token')).toBe(true);
      const refused = await slash('UTEAMMATE', 'export users');
      expect(refused.text).toMatch(/needs users.manage/);
      expect(slack.uploads.length).toBe(before + 1);
    });

    it('revoke asks first, Cancel changes nothing, Confirm runs the job to its final message', async () => {
      const chatId = await inboundChat('+4930999888', 'Leaver’s customer');
      await slash('UOWNER', `assign ${chatId} <@ULEAVER>`);

      const asked = await slash('UOWNER', `revoke <@ULEAVER> to <@UHEIR>`);
      expect(asked.text).toContain('Revoke leaver');
      expect(everything(asked)).toContain('1 chat and their channel accounts will move to *heir*');
      const actions = asked.blocks.find((b) => (b as { type: string }).type === 'actions') as {
        elements: Array<{ action_id: string; value: string }>;
      };
      const [confirm, cancel] = actions.elements;
      expect(confirm!.action_id).toBe('revoke_confirm');

      const cancelled = await click('UOWNER', cancel!.action_id, cancel!.value);
      await waitFor(() => cancelled.length > 0);
      expect(everything(cancelled[0]!)).toContain('Cancelled');
      expect((await member(people.leaver!.id)).status).toBe('active');

      // Someone without the right cannot use the button either.
      const byTeammate = await click('UTEAMMATE', confirm!.action_id, confirm!.value);
      await waitFor(() => byTeammate.length > 0);
      expect(everything(byTeammate[0]!)).toMatch(/may not manage users/);
      expect((await member(people.leaver!.id)).status).toBe('active');

      const progress = await click('UOWNER', confirm!.action_id, confirm!.value);
      await waitFor(() => progress.some((p) => everything(p).includes('Revoked')), 20_000);
      expect(progress.length).toBeLessThanOrEqual(5);
      expect(progress.every((p) => p.replace_original === true)).toBe(true);
      expect(everything(progress.at(-1)!)).toContain('1 to the heir');
      expect((await member(people.leaver!.id)).status).toBe('revoked');
      expect(
        (await call('GET', `/v1/workspaces/${ws}/chats/${chatId}`, { token: owner })).body.chat
          .assignee,
      ).toEqual({ type: 'user', id: people.heir!.id });

      const jobs = await slash('UOWNER', 'jobs');
      expect(everything(jobs)).toContain('member.revoke');
      expect(everything(jobs)).toContain('completed');
    });

    it('a revoked member gets one line saying they are not a member; nothing else runs', async () => {
      // After the revoke above: the leaver's Slack user still exists, their membership does not.
      expect((await member(people.leaver!.id)).status).toBe('revoked');
      const before = slack.calls.length;
      const refused = await slash('ULEAVER', 'users');
      expect(refused.text).toContain('leaver@slack-bot.test');
      expect(refused.text).toContain('is not a member');
      expect(refused.blocks).toHaveLength(1);
      expect(everything(refused)).not.toContain('heir@slack-bot.test');
      // Slack is asked the email again (it may have changed), and nothing else.
      const calls = slack.calls.slice(before);
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.every((c) => c.method === 'users.info' && c.params.user === 'ULEAVER')).toBe(
        true,
      );
      // A command that would change something changes nothing.
      const suspend = await slash('ULEAVER', `suspend <@UHEIR>`);
      expect(suspend.text).toContain('is not a member');
      expect((await member(people.heir!.id)).status).toBe('active');
    });

    it('revoke without an heir: after Confirm the member’s chats are unassigned', async () => {
      const loner = await addMember(api, ws, owner, {
        email: 'loner@slack-bot.test',
        name: 'loner',
        role: 'agent',
      });
      slack.users.set('ULONER', loner.email);
      const chatId = await inboundChat('+4930333444', 'Loner’s customer');
      await slash('UOWNER', `assign ${chatId} <@ULONER>`);
      const chat = async () =>
        (await call('GET', `/v1/workspaces/${ws}/chats/${chatId}`, { token: owner })).body.chat;
      expect((await chat()).assignee).toEqual({ type: 'user', id: loner.id });

      const asked = await slash('UOWNER', `revoke <@ULONER>`);
      expect(asked.text).toContain('Revoke loner');
      expect(everything(asked)).toContain('1 chat will become unassigned');
      const actions = asked.blocks.find((b) => (b as { type: string }).type === 'actions') as {
        elements: Array<{ action_id: string; value: string }>;
      };
      const confirm = actions.elements[0]!;
      expect(JSON.parse(confirm.value)).toEqual({ userId: loner.id });

      const progress = await click('UOWNER', confirm.action_id, confirm.value);
      await waitFor(() => progress.some((p) => everything(p).includes('Revoked')), 20_000);
      expect(progress.length).toBeLessThanOrEqual(5);
      expect(everything(progress.at(-1)!)).toContain('0 to the heir, 1 unassigned');
      expect((await member(loner.id)).status).toBe('revoked');
      expect((await chat()).assignee).toBeNull();
    });

    it('a revoke’s message stops following its job, with a last line saying so, when the caller is suspended meanwhile', async () => {
      slack.users.set('UADMIN', people.admin!.email);
      const stuck = await addMember(api, ws, owner, {
        email: 'stuck@slack-bot.test',
        name: 'stuck',
        role: 'agent',
      });
      slack.users.set('USTUCK', stuck.email);
      const chatId = await inboundChat('+4930444555', 'Stuck’s customer');
      await slash('UOWNER', `assign ${chatId} <@USTUCK>`);
      const asked = await slash('UADMIN', `revoke <@USTUCK>`);
      const confirm = (
        asked.blocks.find((b) => (b as { type: string }).type === 'actions') as {
          elements: Array<{ action_id: string; value: string }>;
        }
      ).elements[0]!;

      // The job cannot move the chat while this transaction holds its row: it stays running.
      let release = () => undefined as void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked = () => undefined as void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holding = t.db.transaction().execute(async (trx) => {
        await trx
          .selectFrom('chat_assignments')
          .select('chat_id')
          .where('chat_id', '=', chatId)
          .forUpdate()
          .execute();
        locked();
        await held;
      });
      await isLocked;
      try {
        const progress = await click('UADMIN', confirm.action_id, confirm.value);
        await waitFor(() => progress.some((p) => everything(p).includes('Revoking…')));
        const suspended = await call(
          'POST',
          `/v1/workspaces/${ws}/members/${people.admin!.id}/suspend`,
          { token: owner },
        );
        expect(suspended.status, suspended.text).toBe(200);
        await waitFor(() => progress.some((p) => everything(p).includes('Stopped following')));
        const jobId = /Job `([^`]+)`/.exec(
          everything(progress.find((p) => everything(p).includes('Revoking…'))!),
        )?.[1];
        expect(jobId).toBeTruthy();
        const last = progress.at(-1)!;
        expect(String(last.text)).toContain(`Stopped following the revoke job ${jobId}`);
        expect(String(last.text)).toContain('you may no longer follow it');
        expect(String(last.text)).toContain('goes on in the background');
        expect(everything(last)).not.toContain('Revoked.');
        expect(last.replace_original).toBe(true);
        expect(progress.length).toBeLessThanOrEqual(5);
        // Nothing is sent after the last line.
        const sent = progress.length;
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(progress.length).toBe(sent);
      } finally {
        release();
        await holding;
      }
      // The job went on without the message: the chat is unassigned in the end.
      await waitFor(async () => {
        const chat = await call('GET', `/v1/workspaces/${ws}/chats/${chatId}`, { token: owner });
        return chat.body.chat.assignee === null;
      });
      expect((await member(stuck.id)).status).toBe('revoked');
      const back = await call(
        'POST',
        `/v1/workspaces/${ws}/members/${people.admin!.id}/reinstate`,
        { token: owner },
      );
      expect(back.status).toBe(200);
    });

    it('every admin action is in the audit log with its actor and via slack', async () => {
      const rows = await t.db
        .selectFrom('audit_log')
        .select(['action', 'actor_user_id', 'via'])
        .where('workspace_id', '=', ws)
        .execute();
      const ownerId = (
        await call('GET', `/v1/workspaces/${ws}/members`, { token: owner })
      ).body.items.find((m: { user: { email: string } }) => m.user.email === 'o@slack-bot.test')
        .user.id;
      for (const action of [
        'member.invite',
        // role, restrict and unrestrict
        'member.update',
        'member.suspend',
        'member.reinstate',
        'member.revoke',
        'team.member_add',
        'team.member_remove',
        'chat.assign',
      ]) {
        expect(
          rows.some((r) => r.action === action && r.via === 'slack' && r.actor_user_id === ownerId),
          action,
        ).toBe(true);
      }
      // What the REST API did is recorded as such.
      expect(rows.some((r) => r.action === 'integration.create' && r.via === 'api')).toBe(true);
    });
  });
});

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
