import { AxeBuilder } from '@axe-core/playwright';
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
import {
  chromiumPath,
  launchChromium,
  noChromium,
  openSignIn,
  signIn,
  unexpectedConsoleErrors,
} from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Every view of the inbox checked by axe-core (the engine behind Lighthouse's and browsers'
 * accessibility audits) against WCAG 2.1 A and AA — labels, names, roles, contrast, landmarks —
 * at desktop and phone size, with its forms open, as an Admin sees them (the most controls).
 */
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

describe.skipIf(!chromiumPath)(
  `the inbox's accessibility (axe-core, WCAG 2.1 AA)${noChromium}`,
  () => {
    let t: TestDatabase;
    let api: RunningApi;
    let browser: Browser;
    let admin: { token: string };
    let chat: string;
    const consoleErrors: string[] = [];

    beforeAll(async () => {
      t = await createTestDatabase();
      api = await startApi(t);
      const call = client(api.base);
      const { ws, owner, channel } = await createWorkspaceWithChannel(api, 'Web Axe');
      admin = await addMember(api, ws, owner, {
        email: 'admin@axe.test',
        name: 'Ada Admin',
        role: 'admin',
      });
      const team = await call('POST', `/v1/workspaces/${ws}/teams`, {
        token: owner,
        body: { name: 'Sales' },
      });
      expect(team.status).toBe(201);
      await addMember(api, ws, owner, {
        email: 'agent@axe.test',
        name: 'Aggie Agent',
        role: 'agent',
        teamIds: [team.body.team.id],
        restrictions: { maskContactIdentifiers: true },
      });
      const rule = await call('POST', `/v1/workspaces/${ws}/routing-rules`, {
        token: owner,
        body: {
          name: 'Refunds',
          conditions: [{ kind: 'keyword', keyword: 'refund' }],
          target: { type: 'team', teamId: team.body.team.id },
        },
      });
      expect(rule.status, rule.text).toBe(201);
      chat = await inboundChat(api, t, channel, 'axe-1', {
        name: 'Dora Contact',
        phone: '+4930123456',
      });
      browser = await launchChromium();
    });

    afterAll(async () => {
      expect(unexpectedConsoleErrors(consoleErrors)).toEqual([]);
      await browser?.close();
      await api?.close();
      await t?.drop();
    });

    /** What axe finds, one line per rule broken: its id, impact and the elements. */
    async function audit(page: Page): Promise<string[]> {
      const results = await new AxeBuilder({ page }).withTags(WCAG).analyze();
      return results.violations.map(
        (v) => `${v.id} (${v.impact ?? '?'}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      );
    }

    for (const size of ['desktop', 'phone'] as const) {
      it(`every view passes at ${size} size: sign-in, inbox, a chat with its access panel, members, teams, channels, routing`, async () => {
        const { context, page } = await openSignIn(browser, api.base, consoleErrors, size);
        await page.getByLabel('API token').waitFor();
        // The audit sees what it should: an image without a text alternative is reported.
        await page.evaluate(
          `document.body.insertAdjacentHTML('beforeend', '<img id="probe" src="/favicon.svg">')`,
        );
        expect((await audit(page)).join('\n')).toMatch(/^image-alt \(critical\): #probe$/m);
        await page.evaluate(`document.getElementById('probe').remove()`);
        const found: Record<string, string[]> = { 'sign-in': await audit(page) };

        await signIn(page, admin, 'admin');
        await page.locator('#chat-list li[data-chat-id]').first().waitFor();
        found.inbox = await audit(page);

        await page.goto(`${api.base}/#/chats/${chat}`);
        await page.getByRole('heading', { name: 'Dora Contact' }).waitFor();
        const panel = page.getByRole('button', { name: /who can see this chat/i });
        await panel.click();
        await page.getByText(/May see it/).waitFor();
        found.chat = await audit(page);

        const views = page.getByRole('navigation', { name: 'Views' });
        await views.getByRole('link', { name: 'Members' }).click();
        await page.getByRole('heading', { name: 'People' }).waitFor();
        await page.getByRole('button', { name: 'Invite someone' }).click();
        await page.locator('#invite-form').waitFor();
        found.members = await audit(page);

        await views.getByRole('link', { name: 'Teams' }).click();
        await page.getByRole('heading', { name: 'All teams' }).waitFor();
        found.teams = await audit(page);

        await views.getByRole('link', { name: 'Channels' }).click();
        await page.locator('#connect-form').waitFor();
        found.channels = await audit(page);

        await views.getByRole('link', { name: 'Routing' }).click();
        await page.getByRole('heading', { name: 'Refunds' }).waitFor();
        await page.getByRole('button', { name: 'Add a rule' }).click();
        found.routing = await audit(page);

        expect(found).toEqual({
          'sign-in': [],
          inbox: [],
          chat: [],
          members: [],
          teams: [],
          channels: [],
          routing: [],
        });
        await context.close();
      });
    }
  },
);
