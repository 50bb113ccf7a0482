import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
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
 * The members view of the agents' page (issue 21) end to end, in headless Chromium against the
 * running server: offered only to roles that manage users (Owners and Admins), and every action
 * it takes is checked against the API's own answer afterwards.
 */

type Person = { id: string; token: string; email: string };

describe.skipIf(!chromiumPath)(`the members view in Chromium${noChromium}`, () => {
  let t: TestDatabase;
  let api: RunningApi;
  let browser: Browser;
  let call: ReturnType<typeof client>;
  let ws: string;
  let owner: string;
  let admin: Person;
  let agent: Person;
  let leaver: Person;
  let heir: Person;
  const leaverChats: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t);
    call = client(api.base);
    let hq: { id: string; secret: string };
    ({ ws, owner, channel: hq } = await createWorkspaceWithChannel(api, 'Web Members'));
    admin = await addMember(api, ws, owner, {
      email: 'admin@web-members.test',
      name: 'Ada Admin',
      role: 'admin',
    });
    agent = await addMember(api, ws, owner, {
      email: 'agent@web-members.test',
      name: 'Aggie Agent',
      role: 'agent',
    });
    leaver = await addMember(api, ws, owner, {
      email: 'leaver@web-members.test',
      name: 'Lee Leaver',
      role: 'teammate',
    });
    heir = await addMember(api, ws, owner, {
      email: 'heir@web-members.test',
      name: 'Hal Heir',
      role: 'teammate',
    });
    for (const key of ['one', 'two', 'three']) {
      const chat = await inboundChat(api, t, hq, `members-${key}`, { name: `Contact ${key}` });
      const assigned = await call('PUT', `/v1/workspaces/${ws}/chats/${chat}/assignee`, {
        token: owner,
        body: { type: 'user', id: leaver.id },
      });
      expect(assigned.status).toBe(200);
      leaverChats.push(chat);
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

  const membersLink = (page: Page) =>
    page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Members' });
  const listedMembers = async () =>
    (await call('GET', `/v1/workspaces/${ws}/members`, { token: owner })).body.items as Array<{
      user: { id: string | null; email: string };
      role: string;
      status: string;
      restrictions: Record<string, unknown>;
    }>;

  it('an Agent (no users.manage) is not offered the Members control at all, nor the view by address', async () => {
    const me = await call('GET', '/v1/me', { token: agent.token });
    expect(me.body.workspaces.find((w: { id: string }) => w.id === ws).role).toBe('agent');
    const { context, page } = await openPage();
    await signIn(page, agent);
    // The header has the role from /v1/me (so the absence below is a decision, not a race).
    await page.locator('header[data-role="agent"]').waitFor();
    expect(await page.getByRole('link', { name: 'Members' }).count()).toBe(0);
    expect(await page.getByText('Members', { exact: true }).count()).toBe(0);
    // Typing the view's address shows the inbox: the view is not there to reach.
    await page.goto(`${api.base}/#/members`);
    await page.waitForFunction(`location.hash === '#/members'`);
    await page.waitForTimeout(200);
    await page.locator('header[data-role="agent"]').waitFor();
    expect(await page.locator('.members-page').count()).toBe(0);
    expect(await page.locator('#chat-list').count()).toBe(1);
    // The server refuses the Agent too (the page's absence of the control is not the guard).
    const refused = await call('POST', `/v1/workspaces/${ws}/members/${heir.id}/suspend`, {
      token: agent.token,
    });
    expect(refused.status).toBe(403);
    await context.close();
  });

  describe('signed in as an Admin', () => {
    let page: Page;
    let close: () => Promise<void>;

    beforeAll(async () => {
      const opened = await openPage();
      page = opened.page;
      close = () => opened.context.close();
      await signIn(page, admin);
      await membersLink(page).click();
      await page.getByRole('heading', { name: 'People' }).waitFor();
    });
    afterAll(async () => close?.());

    it('lists the members the API lists, with role, status and presence', async () => {
      const items = await listedMembers();
      for (const m of items) {
        const row = page.locator(`li[data-member-email="${m.user.email}"]`);
        await row.waitFor();
        expect(await row.locator('[data-field="role"]').textContent()).toBe(m.role);
        expect(await row.locator('[data-field="status"]').textContent()).toBe(m.status);
        expect(await row.locator('[data-field="presence"]').textContent()).not.toBe('');
      }
      // The Admin signed in just now: the page's own stream makes them online.
      // (Their own row offers no actions on themselves; an Owner's neither.)
      const own = page.locator(`li[data-member-email="${admin.email}"]`);
      expect(await own.getByRole('button').count()).toBe(0);
    });

    it('an invite from the page creates a pending invitation with its role and restrictions, as the API lists it', async () => {
      await page.getByRole('button', { name: 'Invite someone' }).click();
      const form = page.locator('#invite-form');
      await form.getByRole('textbox', { name: 'Email' }).fill('newbie@web-members.test');
      await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Nell Newbie');
      await form.getByRole('combobox', { name: /^Role/ }).selectOption('agent');
      await form.getByLabel('Chat visibility').selectOption('self');
      await form.getByLabel('Mask contacts’ phone numbers and emails').check();
      await form.getByLabel('No data export').check();
      await form.getByRole('button', { name: 'Send invitation' }).click();
      await page.getByLabel('Invitation link').waitFor();
      const link = await page.getByLabel('Invitation link').inputValue();
      expect(link).toContain('/#/accept/');
      const invited = (await listedMembers()).find(
        (m) => m.user.email === 'newbie@web-members.test',
      );
      expect(invited).toMatchObject({
        role: 'agent',
        status: 'pending',
        restrictions: { chatVisibility: 'self', maskContactIdentifiers: true, noDataExport: true },
      });
      const row = page.locator('li[data-member-email="newbie@web-members.test"]');
      await row.waitFor();
      expect(await row.locator('[data-field="status"]').textContent()).toBe('pending');
    });

    it('changes a role, suspends and reinstates, each as the API then shows it', async () => {
      const row = page.locator(`li[data-member-email="${agent.email}"]`);
      await row.getByLabel('Role of Aggie Agent').selectOption('teammate');
      await row.getByRole('button', { name: 'Change role' }).click();
      await row.getByText('Role changed to teammate.').waitFor();
      const byEmail = async (email: string) =>
        (await listedMembers()).find((m) => m.user.email === email);
      expect((await byEmail(agent.email))?.role).toBe('teammate');

      await row.getByRole('button', { name: 'Suspend Aggie Agent' }).click();
      await row.getByRole('button', { name: 'Reinstate Aggie Agent' }).waitFor();
      expect((await byEmail(agent.email))?.status).toBe('suspended');
      await row.getByRole('button', { name: 'Reinstate Aggie Agent' }).click();
      await row.getByRole('button', { name: 'Suspend Aggie Agent' }).waitFor();
      expect((await byEmail(agent.email))?.status).toBe('active');
    });

    it('changes a member’s restrictions in place, starting from what they have', async () => {
      const row = page.locator(`li[data-member-email="${heir.email}"]`);
      await row.getByRole('button', { name: 'Restrictions of Hal Heir…' }).click();
      const form = row.getByRole('form', { name: 'Restrictions of Hal Heir' });
      await form.getByLabel('Chat visibility').selectOption('team');
      await form.getByLabel('Mask contacts’ phone numbers and emails').check();
      await form.getByRole('button', { name: 'Save restrictions' }).click();
      await row.getByText('The restrictions of Hal Heir are saved.').waitFor();
      const byEmail = async (email: string) =>
        (await listedMembers()).find((m) => m.user.email === email);
      expect((await byEmail(heir.email))?.restrictions).toEqual({
        chatVisibility: 'team',
        maskContactIdentifiers: true,
      });
      // Opened again, the form shows what they have; lifting one keeps the other.
      await row.getByRole('button', { name: 'Restrictions of Hal Heir…' }).click();
      const again = row.getByRole('form', { name: 'Restrictions of Hal Heir' });
      expect(await again.getByLabel('Chat visibility').inputValue()).toBe('team');
      await again.getByLabel('Mask contacts’ phone numbers and emails').uncheck();
      await again.getByRole('button', { name: 'Save restrictions' }).click();
      // Saved, the form closes (a locator: the page's CSP forbids waitForFunction's eval).
      await again.waitFor({ state: 'detached' });
      expect((await byEmail(heir.email))?.restrictions).toEqual({ chatVisibility: 'team' });
      // Cancel changes nothing.
      await row.getByRole('button', { name: 'Restrictions of Hal Heir…' }).click();
      await row.getByLabel('Chat visibility').selectOption('');
      await row.getByRole('button', { name: 'Cancel' }).click();
      expect((await byEmail(heir.email))?.restrictions).toEqual({ chatVisibility: 'team' });
    });

    it('offers an Admin no action on an Owner’s row, nor the Owner role', async () => {
      const ownerRow = page.locator('li[data-member-email="o@web-members.test"]');
      await ownerRow.waitFor();
      expect(await ownerRow.getByRole('button').count()).toBe(0);
      const options = await page
        .locator(`li[data-member-email="${agent.email}"]`)
        .getByLabel('Role of Aggie Agent')
        .locator('option')
        .allTextContents();
      expect(options).not.toContain('Owner');
    });

    it('shows the server’s refusal as the server words it (a stale action on a member revoked meanwhile)', async () => {
      const stale = await addMember(api, ws, owner, {
        email: 'stale@web-members.test',
        name: 'Stu Stale',
        role: 'agent',
      });
      await page.getByRole('link', { name: 'Inbox' }).click();
      await page.locator('#chat-list').waitFor();
      await membersLink(page).click();
      const row = page.locator(`li[data-member-email="${stale.email}"]`);
      await row.getByRole('button', { name: 'Suspend Stu Stale' }).waitFor();
      // The Owner revokes them behind this page's back: the page's Suspend button is stale.
      expect(
        (
          await call('POST', `/v1/workspaces/${ws}/members/${stale.id}/revoke`, {
            token: owner,
            body: {},
          })
        ).status,
      ).toBe(202);
      const refusal = await call('POST', `/v1/workspaces/${ws}/members/${stale.id}/suspend`, {
        token: admin.token,
      });
      expect(refusal.status).toBeGreaterThanOrEqual(400);
      await row.getByRole('button', { name: 'Suspend Stu Stale' }).click();
      const alert = row.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toBe(refusal.body.error.message);
    });

    it('revokes a member with reassign-to after a confirmation, and follows the job to its end', async () => {
      const row = page.locator(`li[data-member-email="${leaver.email}"]`);
      await row.getByRole('button', { name: 'Revoke Lee Leaver…' }).click();
      const confirm = row.getByRole('form', { name: 'Revoke Lee Leaver' });
      await confirm.waitFor();
      // The confirmation takes the focus, so a keyboard user is in it at once.
      await until(() =>
        confirm
          .getByLabel('Reassign their chats to')
          .evaluate((el) => el === el.ownerDocument.activeElement),
      );
      // Cancelling revokes nothing.
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'detached' });
      expect((await listedMembers()).find((m) => m.user.email === leaver.email)?.status).toBe(
        'active',
      );

      await row.getByRole('button', { name: 'Revoke Lee Leaver…' }).click();
      await confirm.getByLabel('Reassign their chats to').selectOption(heir.id);
      await confirm.getByRole('button', { name: 'Revoke access' }).click();

      const progress = page.getByRole('progressbar', {
        name: 'Revoking Lee Leaver: chats handed over',
      });
      await progress.waitFor();
      const job = page.locator('.job');
      await until(async () => (await job.getAttribute('data-state')) === 'completed', 10_000);
      const [value, max] = [
        Number(await progress.getAttribute('value')),
        Number(await progress.getAttribute('max')),
      ];
      expect(value).toBe(max);
      await job.getByText(`Lee Leaver is revoked. ${leaverChats.length} chats moved.`).waitFor();

      // The API agrees: the member is revoked, their chats are the heir's.
      const jobId = await job.getAttribute('data-job-id');
      const finished = await call('GET', `/v1/jobs/${jobId}`, { token: admin.token });
      expect(finished.body).toMatchObject({ state: 'completed', result: { moved: 3, toHeir: 3 } });
      expect((await listedMembers()).find((m) => m.user.email === leaver.email)?.status).toBe(
        'revoked',
      );
      for (const chat of leaverChats) {
        const got = await call('GET', `/v1/workspaces/${ws}/chats/${chat}`, { token: owner });
        expect(got.body.chat.assignee).toEqual({ type: 'user', id: heir.id });
      }
      await page
        .locator(`li[data-member-email="${leaver.email}"] [data-field="status"]`, {
          hasText: 'revoked',
        })
        .waitFor();
      await page.evaluate(`document.querySelector('.members-page').scrollTop = 0`);
      await page.screenshot({ path: path.join(artifacts, 'members-desktop.png') });
      expect(existsSync(path.join(artifacts, 'members-desktop.png'))).toBe(true);
    });
  });

  it('an Owner may act on another Owner (and make someone Owner); the server agrees', async () => {
    const second = await addMember(api, ws, owner, {
      email: 'second-owner@web-members.test',
      name: 'Sam Second',
      role: 'owner',
    });
    const { context, page } = await openPage();
    await signIn(page, { token: owner });
    await membersLink(page).click();
    const row = page.locator(`li[data-member-email="${second.email}"]`);
    const roles = row.getByLabel('Role of Sam Second');
    // Offered once the page knows who is signed in (GET /v1/me, the member list).
    await roles.waitFor();
    expect(await roles.locator('option').allTextContents()).toContain('Owner');
    await roles.selectOption('admin');
    await row.getByRole('button', { name: 'Change role' }).click();
    await row.getByText('Role changed to admin.').waitFor();
    expect((await listedMembers()).find((m) => m.user.email === second.email)?.role).toBe('admin');
    await row.getByLabel('Role of Sam Second').selectOption('owner');
    await row.getByRole('button', { name: 'Change role' }).click();
    await row.getByText('Role changed to owner.').waitFor();
    expect((await listedMembers()).find((m) => m.user.email === second.email)?.role).toBe('owner');
    await context.close();
  });

  it('at phone width the members view fits the screen and is reached from the header', async () => {
    const { context, page } = await openPage('phone');
    await signIn(page, admin);
    await membersLink(page).click();
    await page.getByRole('heading', { name: 'People' }).waitFor();
    await page.locator(`li[data-member-email="${heir.email}"]`).waitFor();
    const width = await page.evaluate('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(375);
    await page.screenshot({ path: path.join(artifacts, 'members-phone.png'), fullPage: true });
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
