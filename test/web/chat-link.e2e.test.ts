import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createWorkspaceWithChannel,
  inboundChat,
  startApi,
  type RunningApi,
} from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  chromiumPath,
  launchChromium,
  noChromium,
  openPage,
  signIn,
  unexpectedConsoleErrors,
} from '../support/browser.js';

/**
 * A link to one chat in the web inbox (`/#/chats/:id`, what a CRM panel's "Open chat" gives,
 * issue 20) followed while signed out: the sign-in page, then that chat — not the inbox's
 * start. A chat of another workspace than the one signed in to is not available, like any
 * chat the user may not see; the page does not break.
 */
describe.skipIf(!chromiumPath)(`a link to a chat in Chromium${noChromium}`, () => {
  let t: TestDatabase;
  let api: RunningApi;
  let browser: Browser;
  let owner: string;
  let otherOwner: string;
  let chatId: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t);
    const here = await createWorkspaceWithChannel(api, 'Chat Link');
    owner = here.owner;
    chatId = await inboundChat(api, t, here.channel, 'linked', { name: 'Linda Linked' });
    otherOwner = (await createWorkspaceWithChannel(api, 'Chat Link Elsewhere')).owner;
    browser = await launchChromium();
  });

  afterAll(async () => {
    expect(unexpectedConsoleErrors(consoleErrors)).toEqual([]);
    await browser?.close();
    await api?.close();
    await t?.drop();
  });

  async function follow(token: string) {
    const { context, page } = await openPage(browser, api.base, consoleErrors);
    page.setDefaultTimeout(8_000);
    await page.goto(`${api.base}/#/chats/${chatId}`);
    await page.getByRole('heading', { name: 'Sign in to the Switchboard inbox' }).waitFor();
    await signIn(page, { token });
    return { context, page };
  }

  it('signed out: signing in opens the linked chat', async () => {
    const { context, page } = await follow(owner);
    await page.locator('#chat-title', { hasText: 'Linda Linked' }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/chats/${chatId}`);
    await expect.poll(() => page.locator('#chat').textContent()).toContain('Hello from linked');
    await context.close();
  });

  it('signed in to another workspace: the chat is not available, and the inbox still works', async () => {
    const { context, page } = await follow(otherOwner);
    await page
      .locator('#chat [role="alert"]', { hasText: 'This chat is not available to you.' })
      .waitFor();
    // Still signed in to their own workspace, whose inbox opens as usual.
    await page.evaluate(`location.hash = '#/'`);
    await page.getByText('Choose a chat to read and answer it.').waitFor();
    expect(
      await page.evaluate(`JSON.parse(sessionStorage.getItem('switchboard.session')).token`),
    ).toBe(otherOwner);
    await context.close();
  });
});
