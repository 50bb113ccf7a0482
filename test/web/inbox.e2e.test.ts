import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  client,
  createWorkspaceWithChannel,
  signedHeaders,
  startApi,
  startReceiver,
  type RunningApi,
} from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  artifacts,
  chromiumPath,
  launchChromium,
  noChromium,
  openPage as openBrowserPage,
  signIn,
} from '../support/browser.js';

/**
 * The agents' inbox (issue 21) end to end: headless Chromium (Debian's, through
 * playwright-core's `executablePath`; no browser download) against the running server. The
 * page shows only what the API gives each user, so each check compares the page with the
 * API's own answer for that user (PRODUCT.md §3.2 decides what that is).
 */
const PHONE = '+4915112345678';
const EMAIL = 'dana.contact@example.com';

describe.skipIf(!chromiumPath)(`the agents' inbox in Chromium${noChromium}`, () => {
  let t: TestDatabase;
  let api: RunningApi;
  let browser: Browser;
  let call: ReturnType<typeof client>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: string;
  let owner: string;
  let hq: { id: string; secret: string };
  let agentLine: { id: string; secret: string };
  let team: string;
  const people: Record<'agent' | 'teammate', { id: string; token: string; email: string }> = {
    agent: { id: '', token: '', email: '' },
    teammate: { id: '', token: '', email: '' },
  };
  const chats = { team: '', assigned: '', own: '', fresh: '' };
  /** The channel's far end refuses replies (HTTP 400) while true: they fail for good. */
  let refuse = false;
  let seq = 0;

  async function inbound(
    channel: { id: string; secret: string },
    chatKey: string,
    contact: { name: string; phone?: string; email?: string },
    text: string,
  ) {
    const raw = JSON.stringify({
      messageId: `m-${chatKey}-${++seq}`,
      chatId: `c-${chatKey}`,
      contact,
      text,
      sentAt: new Date().toISOString(),
    });
    const sent = await call('POST', `/v1/inbound/webhook/${channel.id}`, {
      raw,
      headers: signedHeaders(channel.secret, raw),
    });
    expect(sent.status).toBe(202);
    let id: string | undefined;
    await until(async () => {
      const list = await call('GET', `/v1/workspaces/${ws}/chats`, { token: owner });
      id = list.body.items.find((c: { externalId: string }) => c.externalId === `c-${chatKey}`)?.id;
      return id !== undefined;
    });
    return id as string;
  }

  const listed = async (token: string, query = '') =>
    (await call('GET', `/v1/workspaces/${ws}/chats${query}`, { token })).body.items.map(
      (c: { id: string }) => c.id,
    ) as string[];
  const shown = (page: Page) =>
    page
      .locator('#chat-list li[data-chat-id]')
      .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-chat-id')));

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t);
    call = client(api.base);
    receiver = await startReceiver(() => (refuse ? 400 : 200));
    ({ ws, owner, channel: hq } = await createWorkspaceWithChannel(api, 'Web Inbox'));
    const created = await call('POST', `/v1/workspaces/${ws}/teams`, {
      token: owner,
      body: { name: 'Support' },
    });
    team = created.body.team.id;
    for (const [key, role, restrictions] of [
      ['agent', 'agent', { maskContactIdentifiers: true }],
      ['teammate', 'teammate', {}],
    ] as const) {
      const email = `${key}@web-inbox.test`;
      const invitation = await call('POST', `/v1/workspaces/${ws}/invitations`, {
        token: owner,
        body: { email, name: `The ${key}`, role, restrictions },
      });
      expect(invitation.status).toBe(201);
      const accepted = await call('POST', '/v1/invitations/accept', {
        body: { token: invitation.body.invitation.token },
      });
      people[key] = { id: accepted.body.user.id, token: accepted.body.token, email };
    }
    expect(
      (
        await call('PUT', `/v1/workspaces/${ws}/teams/${team}/members/${people.teammate.id}`, {
          token: owner,
        })
      ).status,
    ).toBe(204);
    // The Agent connects an account of their own (its replies go to a local receiver).
    const line = await call('POST', `/v1/workspaces/${ws}/channels`, {
      token: people.agent.token,
      body: { type: 'webhook', name: 'Agent line', outboundUrl: receiver.url },
    });
    expect(line.status).toBe(201);
    agentLine = { id: line.body.channel.id, secret: line.body.channel.inbound.secret };

    // The team's chat (Teammate: team scope), the Agent's assigned chat and the Agent's own.
    chats.team = await inbound(
      hq,
      'team',
      { name: 'Team Contact', phone: '+4930555001' },
      'Hi team',
    );
    chats.assigned = await inbound(
      hq,
      'assigned',
      { name: 'Dana', phone: PHONE, email: EMAIL },
      `Call me on ${PHONE} or write to ${EMAIL}`,
    );
    chats.own = await inbound(
      agentLine,
      'own',
      { name: 'Own Contact', phone: '+4930555003' },
      'Hello agent',
    );
    for (const [chat, assignee] of [
      [chats.team, { type: 'team', id: team }],
      [chats.assigned, { type: 'user', id: people.agent.id }],
    ] as const) {
      const assigned = await call('PUT', `/v1/workspaces/${ws}/chats/${chat}/assignee`, {
        token: owner,
        body: assignee,
      });
      expect(assigned.status).toBe(200);
    }

    browser = await launchChromium();
  });

  afterAll(async () => {
    // Refused requests (403 for a reply through an account not allowed) are logged by Chromium
    // as failed loads; CSP violations and script errors never should be.
    expect(consoleErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
    await browser?.close();
    await api?.close();
    await receiver?.close();
    await t?.drop();
  });

  /** A fresh browser profile (its own session storage) at desktop or phone size. */
  async function openPage(size: 'desktop' | 'phone' = 'desktop') {
    const { context, page } = await openBrowserPage(browser, api.base, consoleErrors, size);
    const bodies: string[] = [];
    page.on('response', (response) => {
      if ((response.headers()['content-type'] ?? '').includes('text/event-stream')) return;
      void response.text().then(
        (text) => bodies.push(text),
        () => undefined,
      );
    });
    // The event stream never ends, so Playwright cannot give its body: Chromium's DevTools
    // protocol streams it instead (Network.streamResourceContent), chunk by chunk.
    const streamed: string[] = [];
    const cdp = await context.newCDPSession(page);
    const streams = new Set<string>();
    cdp.on('Network.responseReceived', (e) => {
      if (e.response.mimeType !== 'text/event-stream') return;
      streams.add(e.requestId);
      cdp.send('Network.streamResourceContent', { requestId: e.requestId }).then(
        (r) => streamed.push(Buffer.from(r.bufferedData, 'base64').toString()),
        () => undefined,
      );
    });
    cdp.on('Network.dataReceived', (e) => {
      if (streams.has(e.requestId) && e.data)
        streamed.push(Buffer.from(e.data, 'base64').toString());
    });
    await cdp.send('Network.enable');
    await page.goto(api.base);
    return { context, page, bodies, streamed };
  }

  /** Anything the page's console reports as an error (a CSP violation, an uncaught error). */
  const consoleErrors: string[] = [];

  describe('serving', () => {
    it('serves the page at / with a same-origin CSP, no-cache for the page and immutable hashed assets; API routes are untouched', async () => {
      const index = await fetch(`${api.base}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(index.headers.get('content-security-policy')).not.toContain('unsafe-inline');
      expect(index.headers.get('cache-control')).toBe('no-cache');
      const html = await index.text();
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      expect(html).not.toMatch(/<script>(?!<)/);
      const asset = await fetch(`${api.base}${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
      const icon = await fetch(`${api.base}/favicon.svg`);
      expect(icon.status).toBe(200);
      expect(icon.headers.get('content-type')).toContain('image/svg+xml');
      expect((await fetch(`${api.base}/healthz`)).status).toBe(200);
      const unknown = await fetch(`${api.base}/v1/no-such-route`);
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not_found');
    });
  });

  describe('signed in at once as an Agent and a Teammate', () => {
    let agent: Awaited<ReturnType<typeof openPage>>;
    let mate: Awaited<ReturnType<typeof openPage>>;

    beforeAll(async () => {
      [agent, mate] = await Promise.all([openPage(), openPage()]);
      await Promise.all([signIn(agent.page, people.agent), signIn(mate.page, people.teammate)]);
    });
    afterAll(async () => {
      await agent?.context.close();
      await mate?.context.close();
    });

    it('each sees the list the API gives them (Agent: own and assigned; Teammate: the team’s), with its badges', async () => {
      const [agentApi, mateApi] = [
        await listed(people.agent.token),
        await listed(people.teammate.token),
      ];
      expect(agentApi).toEqual([chats.own, chats.assigned]);
      expect(mateApi).toEqual([chats.team]);
      await until(async () => JSON.stringify(await shown(agent.page)) === JSON.stringify(agentApi));
      await until(async () => JSON.stringify(await shown(mate.page)) === JSON.stringify(mateApi));
      const counts = (
        await call('GET', `/v1/workspaces/${ws}/chats/counts`, { token: people.agent.token })
      ).body;
      await until(
        async () =>
          (await agent.page.locator('[data-filter="all"] .badge').textContent()) ===
          String(counts.all),
      );
      expect(await agent.page.locator('[data-filter="mine"] .badge').textContent()).toBe(
        String(counts.mine),
      );
    });

    it('filters Mine / Unassigned / each team as the API does', async () => {
      await agent.page.locator('[data-filter="mine"]').click();
      const mine = await listed(people.agent.token, '?assignee=me');
      expect(mine).toEqual([chats.assigned]);
      await until(async () => JSON.stringify(await shown(agent.page)) === JSON.stringify(mine));
      await agent.page.locator('[data-filter="unassigned"]').click();
      const unassigned = await listed(people.agent.token, '?assignee=unassigned');
      await until(
        async () => JSON.stringify(await shown(agent.page)) === JSON.stringify(unassigned),
      );
      await mate.page.locator(`[data-filter="team:${team}"]`).click();
      const teams = await listed(people.teammate.token, `?teamId=${team}`);
      expect(teams).toEqual([chats.team]);
      await until(async () => JSON.stringify(await shown(mate.page)) === JSON.stringify(teams));
      await agent.page.locator('[data-filter="all"]').click();
      await mate.page.locator('[data-filter="all"]').click();
    });

    it('a new inbound message moves its chat to the top within a second for the permitted user, never for the other', async () => {
      await until(async () => (await shown(agent.page))[0] === chats.own);
      const started = Date.now();
      await inbound(hq, 'assigned', { name: 'Dana', phone: PHONE, email: EMAIL }, 'Still there?');
      await until(async () => (await shown(agent.page))[0] === chats.assigned, 1_500);
      expect(Date.now() - started).toBeLessThan(2_000);
      const fresh = await inbound(
        agentLine,
        'fresh',
        { name: 'Fresh Contact', phone: '+4930555009' },
        'New here',
      );
      await until(async () => (await shown(agent.page))[0] === fresh, 1_500);
      chats.fresh = fresh;
      // The Teammate's page never showed either (their stream never carried them).
      await mate.page.waitForTimeout(300);
      expect(await shown(mate.page)).toEqual([chats.team]);
      expect(await mate.page.content()).not.toContain('Fresh Contact');
      expect(await mate.page.content()).not.toContain('Still there?');
      // Nor did anything the Teammate's page received: its stream is open, and silent on them.
      const stream = mate.streamed.join('');
      expect(stream).toContain('event: ready');
      expect(stream).not.toContain(fresh);
      expect(stream).not.toContain(chats.assigned);
      for (const body of mate.bodies) {
        expect(body).not.toContain(fresh);
        expect(body).not.toContain('Still there?');
      }
    });

    it('the Agent’s reply box offers only their own account; assign and join show only where the API allows them', async () => {
      await agent.page.locator(`#chat-list a[href="#/chats/${chats.assigned}"]`).click();
      await agent.page.getByRole('heading', { name: 'Dana' }).waitFor();
      await agent.page.getByLabel('Your reply').waitFor();
      const options = await agent.page
        .getByLabel('Send through')
        .locator('option')
        .evaluateAll((os) => os.map((o) => o.getAttribute('value')));
      expect(options).toEqual([agentLine.id]);
      const explain = async (token: string, userId: string, chatId: string, action: string) =>
        (
          await call(
            'GET',
            `/v1/workspaces/${ws}/access/explain?userId=${userId}&chatId=${chatId}&action=${action}`,
            { token },
          )
        ).body.allowed as boolean;
      const agentMayAssign = await explain(
        people.agent.token,
        people.agent.id,
        chats.assigned,
        'chat.assign',
      );
      expect(await agent.page.getByLabel('Assign to').count()).toBe(agentMayAssign ? 1 : 0);

      await mate.page.locator(`#chat-list a[href="#/chats/${chats.team}"]`).click();
      await mate.page.getByRole('heading', { name: 'Team Contact' }).waitFor();
      await mate.page.getByLabel('Your reply').waitFor();
      expect(
        await explain(people.teammate.token, people.teammate.id, chats.team, 'chat.assign'),
      ).toBe(true);
      await mate.page.getByLabel('Assign to').waitFor();
      const mateOptions = await mate.page
        .getByLabel('Send through')
        .locator('option')
        .evaluateAll((os) => os.map((o) => o.getAttribute('value')));
      expect(mateOptions).toEqual([hq.id]);
      // The Teammate joins the team's chat (chat.join "team").
      expect(
        await explain(people.teammate.token, people.teammate.id, chats.team, 'chat.join'),
      ).toBe(true);
      await mate.page.getByRole('button', { name: 'Join this chat' }).click();
      await mate.page
        .getByRole('button', { name: 'Join this chat' })
        .waitFor({ state: 'detached' });
      // Listed among the participants, as the API lists them.
      await until(
        async () =>
          (await mate.page.locator('[data-field="participants"]').textContent()) === 'you',
      );
      const joined = await call('GET', `/v1/workspaces/${ws}/chats/${chats.team}`, {
        token: owner,
      });
      expect(joined.body.chat.participants).toEqual([people.teammate.id]);
      // And assigns it to themselves.
      await mate.page.getByLabel('Assign to').selectOption(`user:${people.teammate.id}`);
      await mate.page.getByRole('button', { name: 'Assign', exact: true }).click();
      await until(
        async () =>
          (await mate.page.locator('[data-field="assignee"]').textContent()) === 'Assigned to you',
      );
      const after = await call('GET', `/v1/workspaces/${ws}/chats/${chats.team}`, { token: owner });
      expect(after.body.chat.assignee).toEqual({ type: 'user', id: people.teammate.id });
      // And rates it (chat.rate "team").
      await mate.page.getByLabel('Rating').selectOption('4');
      await mate.page.getByRole('button', { name: 'Rate', exact: true }).click();
      await mate.page.getByText('Rated 4 of 5').waitFor();
    });

    it('a masked Agent never has the contact’s phone or email in the DOM or in any response the page received', async () => {
      const page = agent.page;
      await page.locator('.message.in').first().waitFor();
      const masked = await page.locator('[data-field="phone"]').textContent();
      expect(masked).not.toBe('—');
      expect(masked).not.toContain(PHONE);
      const dom = await page.content();
      const text = await page.locator('body').innerText();
      for (const secret of [PHONE, PHONE.slice(1), EMAIL]) {
        expect(dom).not.toContain(secret);
        expect(text).not.toContain(secret);
      }
      expect(agent.bodies.length).toBeGreaterThan(5);
      for (const body of agent.bodies) {
        expect(body).not.toContain(PHONE.slice(1));
        expect(body).not.toContain(EMAIL);
      }
      // What the event stream carried to the page (the chat moved live above) is masked too.
      const stream = agent.streamed.join('');
      expect(stream).toContain('message.created');
      expect(stream).toContain('Still there?');
      expect(stream).not.toContain(PHONE.slice(1));
      expect(stream).not.toContain(EMAIL);
      // The Teammate's unmasked view of the same API shows identifiers, so the check can fail.
      const unmasked = await call('GET', `/v1/workspaces/${ws}/chats/${chats.assigned}`, {
        token: owner,
      });
      expect(unmasked.body.chat.contact.phone).toBe(PHONE);
    });

    it('a reply shows its delivery state, updated without a reload: sent, or failed when the channel refuses it', async () => {
      const page = agent.page;
      await page.locator(`#chat-list a[href="#/chats/${chats.own}"]`).click();
      await page.getByRole('heading', { name: 'Own Contact' }).waitFor();
      const status = (text: string) =>
        page.locator('.message.out', { hasText: text }).locator('[data-status]');
      // The page may not re-read the history meanwhile: the new state can come only from the
      // event stream (`message.status_changed`).
      let reReads = 0;
      await page.route('**/messages?*', (route) => {
        reReads += 1;
        return route.abort();
      });
      await page.getByLabel('Your reply').fill('On my way');
      await page.getByRole('button', { name: 'Send' }).click();
      await status('On my way').waitFor();
      expect(['pending', 'sent']).toContain(await status('On my way').getAttribute('data-status'));
      await until(async () => (await status('On my way').getAttribute('data-status')) === 'sent');
      expect(receiver.received.some((r) => r.body.includes('On my way'))).toBe(true);
      await page.unroute('**/messages?*');
      expect(reReads).toBeLessThanOrEqual(1);

      refuse = true;
      await page.getByLabel('Your reply').fill('This one bounces');
      await page.getByRole('button', { name: 'Send' }).click();
      await until(
        async () => (await status('This one bounces').getAttribute('data-status')) === 'failed',
      );
      expect(await status('This one bounces').textContent()).toContain('Failed');
      refuse = false;
    });

    it('screenshots of the inbox and a chat, desktop and phone size', async () => {
      await mate.page.goto(`${api.base}/#/`);
      await mate.page.locator('#chat-list li[data-chat-id]').first().waitFor();
      await mate.page.screenshot({ path: path.join(artifacts, 'inbox-desktop.png') });
      await agent.page.screenshot({ path: path.join(artifacts, 'chat-desktop.png') });
      const phone = await openPage('phone');
      await signIn(phone.page, people.teammate);
      await phone.page.locator('#chat-list li[data-chat-id]').first().waitFor();
      // At phone width one pane shows at a time: the list, then the chat with a way back.
      expect(await phone.page.locator('.chat-pane').isVisible()).toBe(false);
      await phone.page.screenshot({ path: path.join(artifacts, 'inbox-phone.png') });
      await phone.page.locator('#chat-list li[data-chat-id] a').first().click();
      await phone.page.getByLabel('Your reply').waitFor();
      expect(await phone.page.locator('.inbox').isVisible()).toBe(false);
      expect(await phone.page.getByRole('link', { name: 'Back to chats' }).isVisible()).toBe(true);
      const width = await phone.page.evaluate('document.documentElement.scrollWidth');
      expect(width).toBeLessThanOrEqual(375);
      await phone.page.screenshot({ path: path.join(artifacts, 'chat-phone.png') });
      await phone.context.close();
      for (const name of ['inbox-desktop', 'chat-desktop', 'inbox-phone', 'chat-phone'])
        expect(existsSync(path.join(artifacts, `${name}.png`))).toBe(true);
    });

    it('a chat the user loses access to disappears; a suspended user is signed out at once', async () => {
      // A new chat of the team: the Teammate sees it (team scope)…
      const lost = await inbound(hq, 'lost', { name: 'Leaving Contact' }, 'Who is there?');
      await call('PUT', `/v1/workspaces/${ws}/chats/${lost}/assignee`, {
        token: owner,
        body: { type: 'team', id: team },
      });
      await until(async () => (await shown(mate.page)).includes(lost));
      // …until it goes to the Owner, out of their scope: it leaves their page without a reload.
      const ownerId = (
        await call('GET', `/v1/workspaces/${ws}/members`, { token: owner })
      ).body.items.find((m: { role: string }) => m.role === 'owner').user.id;
      await call('PUT', `/v1/workspaces/${ws}/chats/${lost}/assignee`, {
        token: owner,
        body: { type: 'user', id: ownerId },
      });
      expect(await listed(people.teammate.token)).not.toContain(lost);
      await until(async () => !(await shown(mate.page)).includes(lost), 8_000);

      const suspended = await call(
        'POST',
        `/v1/workspaces/${ws}/members/${people.teammate.id}/suspend`,
        {
          token: owner,
        },
      );
      expect(suspended.status).toBe(200);
      await mate.page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 2_000 });
      expect(await mate.page.getByRole('alert').textContent()).toContain('signed out');
      expect(await mate.page.evaluate('sessionStorage.getItem("switchboard.session")')).toBeNull();
      await call('POST', `/v1/workspaces/${ws}/members/${people.teammate.id}/reinstate`, {
        token: owner,
      });
    });
  });

  describe('several workspaces', () => {
    it('a token that opens two workspaces signs in after the user picks one', async () => {
      const second = await createWorkspaceWithChannel(api, 'Web Second');
      const member = { email: 'two-places@web.test', name: 'Two Places', role: 'agent' };
      await addMember(api, ws, owner, member);
      const both = await addMember(api, second.ws, second.owner, member);
      const { context, page } = await openPage();
      await page.getByLabel('API token').fill(both.token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const choice = page.getByLabel('Workspace');
      await choice.waitFor();
      expect(await choice.locator('option').count()).toBe(2);
      await choice.selectOption(second.ws);
      await page.getByRole('button', { name: 'Open the inbox' }).click();
      await page.locator('#chat-list').waitFor();
      expect(
        await page.evaluate(
          `JSON.parse(sessionStorage.getItem('switchboard.session')).workspaceId`,
        ),
      ).toBe(second.ws);
      await context.close();
    });
  });

  describe('keyboard only', () => {
    it('signs in and replies with the keyboard alone, with a visible focus ring', async () => {
      const { context, page } = await openPage();
      /** Presses Tab until the focused element matches `selector`. */
      async function tabTo(selector: string) {
        for (let i = 0; i < 40; i++) {
          if (await page.evaluate(`!!document.activeElement?.matches(${JSON.stringify(selector)})`))
            return;
          await page.keyboard.press('Tab');
        }
        throw new Error(`Tab never reached ${selector}`);
      }
      await tabTo('input[name="token"]');
      await page.keyboard.type(people.agent.token);
      await page.keyboard.press('Enter');
      await page.locator('#chat-list li[data-chat-id]').first().waitFor();
      await tabTo(`#chat-list a[href="#/chats/${chats.own}"]`);
      const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
      expect(outline).toBe('solid');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Own Contact' }).waitFor();
      await tabTo('textarea[name="reply"]');
      await page.keyboard.type('Typed without a mouse');
      await tabTo('form.reply button[type="submit"]');
      await page.keyboard.press('Enter');
      await page.locator('.message.out', { hasText: 'Typed without a mouse' }).waitFor();
      const history = await call('GET', `/v1/workspaces/${ws}/chats/${chats.own}/messages`, {
        token: people.agent.token,
      });
      expect(history.body.items[0].text).toBe('Typed without a mouse');
      await context.close();
    });

    it('an invitation link signs the new member in and lands them in the inbox, which scrolls on over the cursor', async () => {
      // More chats than one page (30): unassigned ones on the workspace's account.
      await Promise.all(
        Array.from({ length: 32 }, (_, i) =>
          inbound(hq, `bulk-${i}`, { name: `Bulk ${i}` }, `Bulk message ${i}`),
        ),
      );
      const invitation = await call('POST', `/v1/workspaces/${ws}/invitations`, {
        token: owner,
        body: { email: 'newcomer@web-inbox.test', name: 'Newcomer', role: 'admin' },
      });
      const { context, page } = await openBrowserPage(browser, api.base, consoleErrors);
      await page.goto(`${api.base}/#/accept/${invitation.body.invitation.token}`);
      await page.locator('#chat-list li[data-chat-id]').first().waitFor();
      expect(await page.locator('.who').textContent()).toContain('Newcomer');
      expect(page.url()).not.toContain(invitation.body.invitation.token);
      // Every chat the Admin may see, page by page as the list is scrolled to its end.
      const all: string[] = [];
      let cursor: string | null = null;
      do {
        const listing: any = await call(
          'GET',
          `/v1/workspaces/${ws}/chats?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
          { token: owner },
        );
        all.push(...listing.body.items.map((c: { id: string }) => c.id));
        cursor = listing.body.nextCursor;
      } while (cursor);
      expect(all.length).toBeGreaterThan(35);
      await until(async () => (await shown(page)).length === 30);
      await until(async () => {
        await page.evaluate(`document.querySelector('.inbox').scrollTop = 1e9`);
        return (await shown(page)).length === all.length;
      });
      expect(await shown(page)).toEqual(all);

      // A long history pages back: 30 at first, the rest on request.
      const raws = Array.from({ length: 32 }, (_, i) =>
        JSON.stringify({
          messageId: `m-long-${i}`,
          chatId: 'c-long',
          contact: { name: 'Long Talker' },
          text: `Line ${i}`,
          sentAt: new Date(Date.now() - (40 - i) * 1000).toISOString(),
        }),
      );
      for (const raw of raws)
        expect(
          (
            await call('POST', `/v1/inbound/webhook/${hq.id}`, {
              raw,
              headers: signedHeaders(hq.secret, raw),
            })
          ).status,
        ).toBe(202);
      const long = page.locator('#chat-list a', { hasText: 'Long Talker' });
      await long.waitFor();
      await until(async () => (await long.textContent())?.includes('Line 31') ?? false);
      await long.click();
      await page.locator('.message.in').first().waitFor();
      expect(await page.locator('.message.in').count()).toBe(30);
      expect(await page.locator('.message.in').first().textContent()).toContain('Line 2');
      await page.getByRole('button', { name: 'Load earlier messages' }).click();
      await until(async () => (await page.locator('.message.in').count()) === 32);
      expect(await page.locator('.message.in').first().textContent()).toContain('Line 0');
      // The README's picture: a full inbox with a chat open, as an Admin sees it.
      await page.screenshot({ path: path.join(artifacts, 'inbox-admin-desktop.png') });
      expect(await page.getByRole('button', { name: 'Load earlier messages' }).count()).toBe(0);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      expect(await page.evaluate('sessionStorage.getItem("switchboard.session")')).toBeNull();
      await context.close();
    });
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
