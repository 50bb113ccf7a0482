import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  client,
  createWorkspaceWithChannel,
  inboundChat,
  startApi,
  type RunningApi,
} from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  artifacts,
  chromiumPath,
  launchChromium,
  noChromium,
  openSignIn,
  unexpectedConsoleErrors,
  signIn,
} from '../support/browser.js';

/**
 * The teams and routing-rules views of the agents' page (issue 21) end to end, in headless
 * Chromium against the running server: offered only to those whose policy gives teams.manage /
 * settings.manage, and every action they take is checked against the API's own answer.
 */

type Person = { id: string; token: string; email: string };
type ApiTeam = { id: string; name: string; parentId: string | null; status: string };
type ApiRule = {
  id: string;
  position: number;
  name: string;
  enabled: boolean;
  conditions: Array<Record<string, unknown>>;
  target: { type: 'team'; teamId: string } | { type: 'user'; userId: string };
  strategy: string;
  stickyFallback: string;
};

describe.skipIf(!chromiumPath)(`the teams and routing views in Chromium${noChromium}`, () => {
  let t: TestDatabase;
  let api: RunningApi;
  let browser: Browser;
  let call: ReturnType<typeof client>;
  let ws: string;
  let owner: string;
  let hq: { id: string; secret: string };
  let admin: Person;
  let teammate: Person;
  let agent: Person;
  let mia: Person;
  /** A top-level team with a sub-team and chats queued to it: what suspending hands to HQ. */
  let support: ApiTeam;
  let tier2: ApiTeam;
  const supportChats: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t);
    call = client(api.base);
    ({ ws, owner, channel: hq } = await createWorkspaceWithChannel(api, 'Web Teams'));
    admin = await addMember(api, ws, owner, {
      email: 'admin@web-teams.test',
      name: 'Ada Admin',
      role: 'admin',
    });
    teammate = await addMember(api, ws, owner, {
      email: 'teammate@web-teams.test',
      name: 'Tess Teammate',
      role: 'teammate',
    });
    agent = await addMember(api, ws, owner, {
      email: 'agent@web-teams.test',
      name: 'Aggie Agent',
      role: 'agent',
    });
    mia = await addMember(api, ws, owner, {
      email: 'mia@web-teams.test',
      name: 'Mia Member',
      role: 'agent',
    });
    const made = async (name: string, parentId: string | null) => {
      const r = await call('POST', `/v1/workspaces/${ws}/teams`, {
        token: owner,
        body: { name, parentId },
      });
      expect(r.status).toBe(201);
      return r.body.team as ApiTeam;
    };
    support = await made('Support', null);
    tier2 = await made('Tier 2', support.id);
    expect(
      (
        await call('PUT', `/v1/workspaces/${ws}/teams/${tier2.id}/members/${teammate.id}`, {
          token: owner,
        })
      ).status,
    ).toBe(204);
    for (const key of ['one', 'two']) {
      const chat = await inboundChat(api, t, hq, `teams-${key}`, { name: `Contact ${key}` });
      const assigned = await call('PUT', `/v1/workspaces/${ws}/chats/${chat}/assignee`, {
        token: owner,
        body: { type: 'team', id: support.id },
      });
      expect(assigned.status).toBe(200);
      supportChats.push(chat);
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    expect(unexpectedConsoleErrors(consoleErrors)).toEqual([]);
    await browser?.close();
    await api?.close();
    await t?.drop();
  });

  /** A fresh browser profile (its own session storage) at desktop or phone size. */
  const openPage = (size: 'desktop' | 'phone' = 'desktop') =>
    openSignIn(browser, api.base, consoleErrors, size);

  const viewLink = (page: Page, name: string) =>
    page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name, exact: true });
  const listedTeams = async () =>
    (await call('GET', `/v1/workspaces/${ws}/teams`, { token: owner })).body.items as ApiTeam[];
  const teamIdsOf = async (userId: string) =>
    (
      (await call('GET', `/v1/workspaces/${ws}/members`, { token: owner })).body.items as Array<{
        user: { id: string | null };
        teamIds: string[];
      }>
    ).find((m) => m.user.id === userId)?.teamIds;
  const listedRules = async () => {
    const r = await call('GET', `/v1/workspaces/${ws}/routing-rules`, { token: owner });
    expect(r.status).toBe(200);
    return (r.body.items as ApiRule[]).sort((a, b) => a.position - b.position);
  };

  for (const role of ['teammate', 'agent'] as const) {
    const who = role === 'agent' ? 'an Agent' : 'a Teammate';
    it(`${who} is offered neither Teams nor Routing, and their addresses show the inbox`, async () => {
      const person = role === 'agent' ? agent : teammate;
      const me = await call('GET', '/v1/me', { token: person.token });
      const here = me.body.workspaces.find((w: { id: string }) => w.id === ws);
      expect(here.role).toBe(role);
      expect(here.permissions['teams.manage']).toBe('none');
      expect(here.permissions['settings.manage']).toBe('none');
      const { context, page } = await openPage();
      await signIn(page, person);
      // The header has the role from /v1/me: the permissions came with it, so the absence
      // below is a decision, not a race.
      await page.locator(`header[data-role="${role}"]`).waitFor();
      expect(await page.getByRole('link', { name: 'Teams' }).count()).toBe(0);
      expect(await page.getByRole('link', { name: 'Routing' }).count()).toBe(0);
      for (const address of ['#/teams', '#/routing']) {
        await page.goto(`${api.base}/${address}`);
        await page.waitForFunction(`location.hash === '${address}'`);
        await page.locator(`header[data-role="${role}"]`).waitFor();
        await page.waitForTimeout(200);
        expect(await page.locator('.teams-page, .routing-page').count()).toBe(0);
        expect(await page.locator('#chat-list').count()).toBe(1);
      }
      // The server refuses them too: the page's missing control is not the guard.
      const refused = await call('POST', `/v1/workspaces/${ws}/teams`, {
        token: person.token,
        body: { name: 'Sneaky' },
      });
      expect(refused.status).toBe(403);
      const rules = await call('GET', `/v1/workspaces/${ws}/routing-rules`, {
        token: person.token,
      });
      expect(rules.status).toBe(403);
      await context.close();
    });
  }

  describe('the teams view, signed in as an Admin', () => {
    let page: Page;
    let close: () => Promise<void>;
    const row = (name: string) => page.locator(`li.team[data-team-name="${name}"]`);

    beforeAll(async () => {
      const opened = await openPage();
      page = opened.page;
      close = () => opened.context.close();
      await signIn(page, admin);
      await viewLink(page, 'Teams').click();
      await page.getByRole('heading', { name: 'All teams' }).waitFor();
    });
    afterAll(async () => close?.());

    it('lists the teams the API lists, each with its parent and its members', async () => {
      for (const team of await listedTeams()) await row(team.name).waitFor();
      expect(await page.locator('li.team').count()).toBe((await listedTeams()).length);
      expect(await row('Support').locator('[data-field="parent"]').textContent()).toBe(
        'Top-level team',
      );
      expect(await row('Tier 2').locator('[data-field="parent"]').textContent()).toBe(
        'Part of Support',
      );
      const tier2Members = row('Tier 2').getByRole('list', { name: 'Members of Tier 2' });
      await tier2Members
        .locator(`li[data-member-id="${teammate.id}"]`, { hasText: 'Tess Teammate' })
        .waitFor();
      expect(await tier2Members.getByRole('listitem').count()).toBe(1);
      expect(await row('Support').locator('[data-field="no-members"]').textContent()).toBe(
        'No members.',
      );
    });

    it('creates a team under a parent, as the API then lists it', async () => {
      const form = page.getByRole('form', { name: 'Create a team' });
      await form.getByLabel('Team name').fill('Sales');
      await form.getByRole('combobox', { name: /^Parent team/ }).selectOption({ label: 'Support' });
      await form.getByRole('button', { name: 'Create team' }).click();
      await page.getByText('Sales is created.').waitFor();
      const sales = (await listedTeams()).find((x) => x.name === 'Sales');
      expect(sales).toMatchObject({ parentId: support.id, status: 'active' });
      await row('Sales').waitFor();
      expect(await row('Sales').getAttribute('data-team-id')).toBe(sales?.id);
      expect(await row('Sales').locator('[data-field="parent"]').textContent()).toBe(
        'Part of Support',
      );
      // The new team is offered as a parent at once (the form reads the view's own list).
      await until(async () =>
        (await form.getByRole('combobox', { name: /^Parent team/ }).textContent())!.includes(
          'Sales',
        ),
      );
    });

    it('adds a member to a team and removes them, each as the API then shows it', async () => {
      const sales = (await listedTeams()).find((x) => x.name === 'Sales')!;
      const add = row('Sales').getByRole('combobox', { name: /^Add to Sales/ });
      await add.selectOption({ label: 'Mia Member (agent)' });
      await row('Sales').getByRole('button', { name: 'Add member' }).click();
      await row('Sales').getByText('Mia Member is now in Sales.').waitFor();
      expect(await teamIdsOf(mia.id)).toContain(sales.id);
      // The shell refreshed its members: the team lists her.
      const members = row('Sales').getByRole('list', { name: 'Members of Sales' });
      await members.locator(`li[data-member-id="${mia.id}"]`, { hasText: 'Mia Member' }).waitFor();
      // …and she is no longer offered to add.
      expect(await add.locator('option', { hasText: 'Mia Member' }).count()).toBe(0);

      await row('Sales').getByRole('button', { name: 'Remove Mia Member from Sales' }).click();
      await row('Sales').getByText('Mia Member is no longer in Sales.').waitFor();
      expect(await teamIdsOf(mia.id)).not.toContain(sales.id);
      await row('Sales').locator('[data-field="no-members"]').waitFor();

      // Added again (by keyboard this time): she stays in Sales for the screenshot.
      await add.focus();
      await add.selectOption({ label: 'Mia Member (agent)' });
      await page.keyboard.press('Tab');
      await expect
        .poll(() => page.evaluate('document.activeElement.textContent'))
        .toBe('Add member');
      await page.keyboard.press('Enter');
      await row('Sales').getByText('Mia Member is now in Sales.').waitFor();
      expect(await teamIdsOf(mia.id)).toContain(sales.id);
    });

    it('shows the server’s refusal as the server words it (a team deleted meanwhile)', async () => {
      await row('Tier 2')
        .getByRole('combobox', { name: /^Add to Tier 2/ })
        .waitFor();
      // The Owner deletes the team behind this page's back: the page's form is stale.
      const deleted = await call('DELETE', `/v1/workspaces/${ws}/teams/${tier2.id}`, {
        token: owner,
      });
      expect(deleted.status).toBe(202);
      const refusal = await call(
        'PUT',
        `/v1/workspaces/${ws}/teams/${tier2.id}/members/${mia.id}`,
        { token: admin.token },
      );
      expect(refusal.status).toBe(404);
      await row('Tier 2')
        .getByRole('combobox', { name: /^Add to Tier 2/ })
        .selectOption({ label: 'Mia Member (agent)' });
      await row('Tier 2').getByRole('button', { name: 'Add member' }).click();
      const alert = row('Tier 2').getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toBe(refusal.body.error.message);
      // The view now lists what the API lists: no Tier 2.
      await page.getByRole('link', { name: 'Inbox' }).click();
      await page.locator('#chat-list').waitFor();
      await viewLink(page, 'Teams').click();
      await row('Sales').waitFor();
      expect(await row('Tier 2').count()).toBe(0);
    });

    it('suspends a team after a confirmation and follows the job that hands its chats to HQ', async () => {
      await row('Support').getByRole('button', { name: 'Suspend Support…' }).click();
      const confirm = row('Support').getByRole('form', { name: 'Suspend Support' });
      await confirm.waitFor();
      // The confirmation takes the focus, on its harmless choice.
      await until(() =>
        confirm
          .getByRole('button', { name: 'Cancel' })
          .evaluate((el) => el === el.ownerDocument.activeElement),
      );
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'detached' });
      expect((await listedTeams()).find((x) => x.id === support.id)?.status).toBe('active');

      await row('Support').getByRole('button', { name: 'Suspend Support…' }).click();
      await confirm.getByRole('button', { name: 'Suspend team' }).click();
      const progress = page.getByRole('progressbar', {
        name: 'Suspending Support: handing over to HQ',
      });
      await progress.waitFor();
      const job = page.locator('.job', { has: progress });
      // The confirmation is gone: the job's progress has the focus, so a keyboard user follows it.
      await until(() => job.evaluate((el) => el === el.ownerDocument.activeElement));
      await until(async () => (await job.getAttribute('data-state')) === 'completed', 10_000);
      expect(Number(await progress.getAttribute('value'))).toBe(
        Number(await progress.getAttribute('max')),
      );
      const jobId = await job.getAttribute('data-job-id');
      const finished = await call('GET', `/v1/jobs/${jobId}`, { token: admin.token });
      expect(finished.body).toMatchObject({
        state: 'completed',
        type: 'team.suspend',
        result: { chats: supportChats.length, channels: 0, contacts: 0 },
      });
      const moved = Number(finished.body.result.subTeams);
      expect(moved).toBeGreaterThanOrEqual(1);
      await job
        .getByText(
          `Support is suspended. Handed to HQ: ${supportChats.length} chats, 0 channel accounts, 0 contacts; ${moved} ${moved === 1 ? 'sub-team' : 'sub-teams'} moved up.`,
        )
        .waitFor();
      // The API agrees: suspended, its queue handed back, its sub-team moved up.
      const teams = await listedTeams();
      expect(teams.find((x) => x.id === support.id)?.status).toBe('suspended');
      expect(teams.find((x) => x.name === 'Sales')?.parentId).toBeNull();
      for (const chat of supportChats) {
        const got = await call('GET', `/v1/workspaces/${ws}/chats/${chat}`, { token: owner });
        expect(got.body.chat.assignee).toBeNull();
      }
      // The page marks the suspended team and offers it no more suspending.
      await row('Support').locator('[data-field="status"]', { hasText: 'Suspended' }).waitFor();
      expect(await row('Support').getAttribute('data-status')).toBe('suspended');
      expect(await row('Support').getByRole('button', { name: 'Suspend Support…' }).count()).toBe(
        0,
      );
      await row('Sales').locator('[data-field="parent"]', { hasText: 'Top-level team' }).waitFor();
      await page.evaluate(`document.querySelector('.teams-page').scrollTop = 0`);
      await page.screenshot({ path: path.join(artifacts, 'teams-desktop.png') });
      expect(existsSync(path.join(artifacts, 'teams-desktop.png'))).toBe(true);
    });

    it('deletes a (suspended) team after a confirmation and watches the job finish', async () => {
      await row('Support').getByRole('button', { name: 'Delete Support…' }).click();
      const confirm = row('Support').getByRole('form', { name: 'Delete Support' });
      await confirm.getByRole('button', { name: 'Delete team' }).click();
      const progress = page.getByRole('progressbar', {
        name: 'Deleting Support: handing over to HQ',
      });
      await progress.waitFor();
      const job = page.locator('.job', { has: progress });
      await until(async () => (await job.getAttribute('data-state')) === 'completed', 10_000);
      const jobId = await job.getAttribute('data-job-id');
      const finished = await call('GET', `/v1/jobs/${jobId}`, { token: admin.token });
      expect(finished.body).toMatchObject({ state: 'completed', type: 'team.delete' });
      await job.getByText(/^Support is deleted\./).waitFor();
      expect((await listedTeams()).some((x) => x.id === support.id)).toBe(false);
      await row('Support').waitFor({ state: 'detached' });
      await row('Sales').waitFor();
    });
  });

  describe('the routing view, signed in as an Admin', () => {
    let page: Page;
    let close: () => Promise<void>;
    let sales: ApiTeam;
    const rowOf = (name: string) => page.locator(`li.rule[data-rule-name="${name}"]`);
    const pageOrder = () =>
      page.locator('li.rule').evaluateAll((els) => els.map((e) => e.getAttribute('data-rule-id')));

    beforeAll(async () => {
      sales = (await listedTeams()).find((x) => x.name === 'Sales')!;
      expect(sales).toBeDefined();
      const opened = await openPage();
      page = opened.page;
      close = () => opened.context.close();
      await signIn(page, admin);
      // Offered to the Admin (the Teammate's and Agent's absence above is not the page's default).
      await viewLink(page, 'Routing').click();
      await page.getByRole('heading', { name: 'Rules, in the order they are tried' }).waitFor();
      await page.getByText('No rules yet: new chats stay unassigned.').waitFor();
    });
    afterAll(async () => close?.());

    async function openNewRule(): Promise<Locator> {
      await page.getByRole('button', { name: 'Add a rule' }).click();
      const form = page.getByRole('form', { name: 'New routing rule' });
      await form.waitFor();
      return form;
    }
    const condition = (form: Locator, n: number) => form.locator(`fieldset[data-condition="${n}"]`);

    it('creates two rules covering conditions, a team target with its strategy and a person target', async () => {
      let form = await openNewRule();
      // The form takes the focus on its first input.
      await until(() =>
        form
          .getByRole('textbox', { name: 'Rule name', exact: true })
          .evaluate((el) => el === el.ownerDocument.activeElement),
      );
      await form.getByRole('textbox', { name: 'Rule name', exact: true }).fill('Refunds');
      await form.getByRole('button', { name: 'Add a condition' }).click();
      await condition(form, 1).getByRole('combobox', { name: /^Kind/ }).selectOption('keyword');
      await condition(form, 1)
        .getByRole('textbox', { name: 'Word or phrase', exact: true })
        .fill('refund');
      await form.getByRole('combobox', { name: /^Team/ }).selectOption({ label: 'Sales' });
      await form
        .getByRole('combobox', { name: /^How a member of the team is picked/ })
        .selectOption('least_open');
      await form.getByRole('button', { name: 'Create rule' }).click();
      await rowOf('Refunds').waitFor();
      await page.getByText('Refunds is added; it is tried first.').waitFor();
      // The new rule's Edit button has the focus (the form that had it is gone).
      await until(() =>
        rowOf('Refunds')
          .getByRole('button', { name: 'Edit: Refunds' })
          .evaluate((el) => el === el.ownerDocument.activeElement),
      );

      form = await openNewRule();
      await form.getByRole('textbox', { name: 'Rule name', exact: true }).fill('VIP email');
      await form.getByRole('button', { name: 'Add a condition' }).click();
      await condition(form, 1)
        .getByRole('combobox', { name: /^Kind/ })
        .selectOption('contact_field');
      await condition(form, 1)
        .getByRole('combobox', { name: /^Field/ })
        .selectOption('email');
      await condition(form, 1)
        .getByRole('combobox', { name: /^Comparison/ })
        .selectOption('contains');
      await condition(form, 1)
        .getByRole('textbox', { name: 'Value', exact: true })
        .fill('@vip.test');
      await form.getByRole('button', { name: 'Add a condition' }).click();
      await condition(form, 2).getByRole('combobox', { name: /^Kind/ }).selectOption('channel');
      await condition(form, 2).getByRole('checkbox', { name: 'Web chat' }).check();
      await form.getByRole('combobox', { name: /^Route to/ }).selectOption('user');
      await form
        .getByRole('combobox', { name: /^Person/ })
        .selectOption({ label: 'Mia Member (agent)' });
      await form.getByRole('button', { name: 'Create rule' }).click();
      await rowOf('VIP email').waitFor();

      const rules = await listedRules();
      expect(rules.map((r) => r.name)).toEqual(['Refunds', 'VIP email']);
      expect(rules[0]).toMatchObject({
        enabled: true,
        conditions: [{ kind: 'keyword', keyword: 'refund' }],
        target: { type: 'team', teamId: sales.id },
        strategy: 'least_open',
      });
      expect(rules[1]).toMatchObject({
        enabled: true,
        conditions: [
          { kind: 'contact_field', field: 'email', op: 'contains', value: '@vip.test' },
          { kind: 'channel', channelIds: [hq.id] },
        ],
        target: { type: 'user', userId: mia.id },
      });
      expect(await pageOrder()).toEqual(rules.map((r) => r.id));
      // What each matches and where it routes, in words.
      expect(await rowOf('Refunds').locator('[data-field="matches"]').textContent()).toContain(
        'first message has the word “refund”',
      );
      expect(await rowOf('Refunds').locator('[data-field="target"]').textContent()).toBe(
        'Routes to team Sales (least open chats).',
      );
      const vip = await rowOf('VIP email').locator('[data-field="matches"]').textContent();
      expect(vip).toContain('contact’s email contains “@vip.test”');
      expect(vip).toContain('came in on Web chat');
      expect(await rowOf('VIP email').locator('[data-field="target"]').textContent()).toBe(
        'Routes to Mia Member.',
      );
    });

    it('reorders the rules with the keyboard, as the API then orders them', async () => {
      const [refunds, vip] = await listedRules();
      const up = rowOf('VIP email').getByRole('button', { name: 'Move up: VIP email' });
      // The first rule cannot move up, the last not down.
      expect(
        await rowOf('Refunds').getByRole('button', { name: 'Move up: Refunds' }).isDisabled(),
      ).toBe(true);
      await up.focus();
      await page.keyboard.press('Enter');
      await page.getByText('VIP email is now tried first.').waitFor();
      expect((await listedRules()).map((r) => r.id)).toEqual([vip!.id, refunds!.id]);
      expect(await pageOrder()).toEqual([vip!.id, refunds!.id]);
      // The focus stays with the moved rule (its Move up is now disabled: Move down has it).
      await until(() =>
        page.evaluate<boolean>(
          `document.activeElement?.getAttribute('data-control') === 'move-down' && document.activeElement.closest('li').dataset.ruleName === 'VIP email'`,
        ),
      );
      await page.keyboard.press('Enter');
      await page.getByText('VIP email is now tried second.').waitFor();
      expect((await listedRules()).map((r) => r.id)).toEqual([refunds!.id, vip!.id]);
      expect(await pageOrder()).toEqual([refunds!.id, vip!.id]);
      // And back to the top with a click.
      await up.click();
      await page.getByText('VIP email is now tried first.').waitFor();
      expect((await listedRules()).map((r) => r.id)).toEqual([vip!.id, refunds!.id]);
      expect(await pageOrder()).toEqual([vip!.id, refunds!.id]);
    });

    it('edits a rule: name, enabled, strategy with fallback, a case-sensitive pattern', async () => {
      const before = (await listedRules()).find((r) => r.name === 'Refunds')!;
      await rowOf('Refunds').getByRole('button', { name: 'Edit: Refunds' }).click();
      const form = page.getByRole('form', { name: 'Edit rule Refunds' });
      await form.waitFor();
      // The form shows the rule as the API has it.
      expect(await form.getByRole('textbox', { name: 'Rule name', exact: true }).inputValue()).toBe(
        'Refunds',
      );
      expect(
        await condition(form, 1)
          .getByRole('textbox', { name: 'Word or phrase', exact: true })
          .inputValue(),
      ).toBe('refund');
      await form
        .getByRole('textbox', { name: 'Rule name', exact: true })
        .fill('Refunds and returns');
      await form.getByRole('checkbox', { name: 'Enabled' }).uncheck();
      await form
        .getByRole('combobox', { name: /^How a member of the team is picked/ })
        .selectOption('sticky');
      await form
        .getByRole('combobox', { name: /^When the last assignee cannot take it/ })
        .selectOption('round_robin');
      await form.getByRole('button', { name: 'Add a condition' }).click();
      await condition(form, 2).getByRole('combobox', { name: /^Kind/ }).selectOption('regex');
      await condition(form, 2)
        .getByRole('textbox', { name: 'Pattern', exact: true })
        .fill('^Order #\\d+');
      await condition(form, 2).getByRole('checkbox', { name: 'Case-sensitive' }).check();
      await form.getByRole('button', { name: 'Save rule' }).click();
      await rowOf('Refunds and returns').waitFor();
      await page.getByText('Refunds and returns is saved.').waitFor();

      const after = (await listedRules()).find((r) => r.id === before.id);
      expect(after).toEqual({
        id: before.id,
        position: before.position,
        name: 'Refunds and returns',
        enabled: false,
        conditions: [
          { kind: 'keyword', keyword: 'refund' },
          { kind: 'regex', pattern: '^Order #\\d+', caseSensitive: true },
        ],
        target: { type: 'team', teamId: sales.id },
        strategy: 'sticky',
        stickyFallback: 'round_robin',
      });
      const edited = rowOf('Refunds and returns');
      expect(await edited.locator('[data-field="enabled"]').textContent()).toBe('Off');
      expect(await edited.locator('[data-field="target"]').textContent()).toBe(
        'Routes to team Sales (sticky, else round robin).',
      );
      expect(await edited.locator('[data-field="matches"]').textContent()).toContain(
        'first message matches /^Order #\\d+/ (case-sensitive)',
      );
    });

    it('shows the server’s 422 as the server words it, and changes nothing', async () => {
      const before = await listedRules();
      const vip = before.find((r) => r.name === 'VIP email')!;
      // What the API answers to the same change, asked directly.
      const bad = {
        name: vip.name,
        enabled: vip.enabled,
        conditions: [...vip.conditions, { kind: 'regex', pattern: '(a+)+', caseSensitive: false }],
        target: vip.target,
        strategy: vip.strategy,
        stickyFallback: vip.stickyFallback,
      };
      const refusal = await call('PUT', `/v1/workspaces/${ws}/routing-rules/${vip.id}`, {
        token: admin.token,
        body: bad,
      });
      expect(refusal.status).toBe(422);
      const detail = (refusal.body.error.details as Array<{ message: string }>)[0]!.message;
      expect(detail).toMatch(/^the pattern /);

      await rowOf('VIP email').getByRole('button', { name: 'Edit: VIP email' }).click();
      const form = page.getByRole('form', { name: 'Edit rule VIP email' });
      await form.getByRole('button', { name: 'Add a condition' }).click();
      await condition(form, 3).getByRole('combobox', { name: /^Kind/ }).selectOption('regex');
      await condition(form, 3).getByRole('textbox', { name: 'Pattern', exact: true }).fill('(a+)+');
      await form.getByRole('button', { name: 'Save rule' }).click();
      const alert = form.getByRole('alert');
      await alert.waitFor();
      expect(await alert.locator('[data-field="message"]').textContent()).toBe(
        refusal.body.error.message,
      );
      expect(await alert.locator('[data-field="detail"]').first().textContent()).toContain(detail);
      expect(await alert.locator('[data-field="detail"]').first().textContent()).toContain(
        'condition 3',
      );
      expect(await listedRules()).toEqual(before);
      // Cancelled: the rule is shown as it was, the focus back on its Edit button.
      await form.getByRole('button', { name: 'Cancel' }).click();
      await form.waitFor({ state: 'detached' });
      await until(() =>
        rowOf('VIP email')
          .getByRole('button', { name: 'Edit: VIP email' })
          .evaluate((el) => el === el.ownerDocument.activeElement),
      );
      await page.evaluate(`document.querySelector('.routing-page').scrollTop = 0`);
      await page.screenshot({ path: path.join(artifacts, 'routing-desktop.png'), fullPage: true });
      expect(existsSync(path.join(artifacts, 'routing-desktop.png'))).toBe(true);
    });

    it('deletes a rule after a confirmation, as the API then lists them', async () => {
      const vip = (await listedRules()).find((r) => r.name === 'VIP email')!;
      await rowOf('VIP email').getByRole('button', { name: 'Delete: VIP email…' }).click();
      const confirm = rowOf('VIP email').getByRole('form', { name: 'Delete rule VIP email' });
      await confirm.getByRole('button', { name: 'Delete rule' }).click();
      await page.getByText('VIP email is deleted.').waitFor();
      await rowOf('VIP email').waitFor({ state: 'detached' });
      const rules = await listedRules();
      expect(rules.map((r) => r.name)).toEqual(['Refunds and returns']);
      expect(rules.some((r) => r.id === vip.id)).toBe(false);
      expect(await pageOrder()).toEqual(rules.map((r) => r.id));
    });
  });

  it('at phone width both views fit the screen and are reached from the header', async () => {
    const { context, page } = await openPage('phone');
    await signIn(page, admin);
    await viewLink(page, 'Teams').click();
    await page.locator('li.team[data-team-name="Sales"]').waitFor();
    await page
      .getByRole('list', { name: 'Members of Sales' })
      .locator(`li[data-member-id="${mia.id}"]`)
      .waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await page.screenshot({ path: path.join(artifacts, 'teams-phone.png'), fullPage: true });

    await viewLink(page, 'Routing').click();
    await page.locator('li.rule[data-rule-name="Refunds and returns"]').waitFor();
    await page.getByRole('button', { name: 'Add a rule' }).click();
    const form = page.getByRole('form', { name: 'New routing rule' });
    await form.getByRole('button', { name: 'Add a condition' }).click();
    await form
      .locator('fieldset[data-condition="1"]')
      .getByRole('combobox', { name: /^Kind/ })
      .selectOption('contact_field');
    await form.getByRole('combobox', { name: /^How a member of the team is picked/ }).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await page.screenshot({ path: path.join(artifacts, 'routing-phone.png'), fullPage: true });
    // A 390 px phone too (the width the screens are checked at elsewhere).
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await viewLink(page, 'Teams').click();
    await page.locator('li.team[data-team-name="Sales"]').waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await context.close();
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
