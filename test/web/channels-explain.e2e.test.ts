import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { WhatsappClientFactory } from '../../src/adapters/whatsapp/whatsapp-channel.js';
import {
  addMember,
  client,
  createWorkspaceWithChannel,
  inboundChat,
  signedHeaders,
  startApi,
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
import { FakeClient } from '../adapters/whatsapp/fixtures/fake-client.js';

/**
 * The channels view and the chat's access panel of the agents' page (issue 21) end to end, in
 * headless Chromium against the running server, whose WhatsApp clients are fakes the test
 * drives (a QR code, a second one, then linked). Every thing the page shows or does is checked
 * against the API's own answer.
 */

type Person = { id: string; token: string; email: string };
type ListedChannel = {
  id: string;
  type: string;
  name: string;
  owner: { type: string; id?: string };
  status: string;
};

/**
 * The server's WhatsApp clients: the fakes it created, per account (newest last). While
 * `failing.with` is set, every new client fails to start with it.
 */
function fakeClients() {
  const made = new Map<string, FakeClient[]>();
  const failing: { with?: Error } = {};
  const createClient: WhatsappClientFactory = ({ channelId }) => {
    const fake = new FakeClient();
    fake.initializeError = failing.with;
    made.set(channelId, [...(made.get(channelId) ?? []), fake]);
    return fake;
  };
  const count = (channelId: string) => made.get(channelId)?.length ?? 0;
  /** The account's client, once the `n`-th one (1-based) has been created. */
  const nth = async (channelId: string, n = 1) => {
    await vi.waitFor(() => expect(count(channelId)).toBeGreaterThanOrEqual(n), {
      timeout: 10_000,
    });
    return made.get(channelId)?.[n - 1] as FakeClient;
  };
  return { createClient, nth, count, failing };
}

/** A QR code as WhatsApp Web sends them: a long reference, keys, and a counter. */
const whatsappQr = () =>
  `2@${randomBytes(60).toString('base64')},${randomBytes(32).toString('base64')},${randomBytes(32).toString('base64')},1`;

describe.skipIf(!chromiumPath)(
  `the channels view and the access panel in Chromium${noChromium}`,
  () => {
    let t: TestDatabase;
    let api: RunningApi;
    let browser: Browser;
    let call: ReturnType<typeof client>;
    const fakes = fakeClients();
    let ws: string;
    let owner: string;
    let ownerId: string;
    let hq: { id: string; secret: string };
    let admin: Person;
    let agent: Person;
    let mate: Person;
    let other: Person;
    let team: string;
    let subTeam: string;
    let chat: string;
    const consoleErrors: string[] = [];

    beforeAll(async () => {
      t = await createTestDatabase();
      api = await startApi(t, { whatsapp: { createClient: fakes.createClient } });
      call = client(api.base);
      ({ ws, owner, channel: hq } = await createWorkspaceWithChannel(api, 'Web Channels'));
      ownerId = (await call('GET', '/v1/me', { token: owner })).body.user.id;
      admin = await addMember(api, ws, owner, {
        email: 'admin@web-channels.test',
        name: 'Ada Admin',
        role: 'admin',
      });
      agent = await addMember(api, ws, owner, {
        email: 'agent@web-channels.test',
        name: 'Aggie Agent',
        role: 'agent',
      });
      mate = await addMember(api, ws, owner, {
        email: 'mate@web-channels.test',
        name: 'Tom Teammate',
        role: 'teammate',
      });
      other = await addMember(api, ws, owner, {
        email: 'other@web-channels.test',
        name: 'Bo Other',
        role: 'agent',
      });
      const created = await call('POST', `/v1/workspaces/${ws}/teams`, {
        token: owner,
        body: { name: 'Sales' },
      });
      expect(created.status).toBe(201);
      team = created.body.team.id;
      const sub = await call('POST', `/v1/workspaces/${ws}/teams`, {
        token: owner,
        body: { name: 'Sales EU', parentId: team },
      });
      expect(sub.status).toBe(201);
      subTeam = sub.body.team.id;
      for (const who of [agent, mate])
        expect(
          (
            await call('PUT', `/v1/workspaces/${ws}/teams/${team}/members/${who.id}`, {
              token: owner,
            })
          ).status,
        ).toBe(204);
      chat = await inboundChat(api, t, hq, 'channels-explain', { name: 'Carla Contact' });
      const assigned = await call('PUT', `/v1/workspaces/${ws}/chats/${chat}/assignee`, {
        token: owner,
        body: { type: 'user', id: agent.id },
      });
      expect(assigned.status).toBe(200);
      browser = await launchChromium();
    });

    afterAll(async () => {
      // Refused requests are logged by Chromium as failed loads; CSP violations (a QR image
      // refused by img-src) and script errors never should be.
      expect(consoleErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
      await browser?.close();
      await api?.close();
      await t?.drop();
    });

    /** A fresh browser profile at desktop size or at a phone's 390 px. */
    async function openPage(size: 'desktop' | 'phone' = 'desktop') {
      const opened = await openBrowserPage(
        browser,
        api.base,
        consoleErrors,
        size === 'desktop' ? size : { width: 390, height: 844 },
      );
      opened.page.setDefaultTimeout(8_000);
      await opened.page.goto(api.base);
      return opened;
    }

    const channelsLink = (page: Page) =>
      page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Channels' });
    const listed = async (token: string) =>
      (await call('GET', `/v1/workspaces/${ws}/channels`, { token })).body.items as ListedChannel[];
    const ownerOptions = (page: Page) =>
      page
        .locator('#connect-form')
        .getByLabel('Owner')
        .locator('option')
        .evaluateAll((os) =>
          os.map((o) => ({ value: o.getAttribute('value') ?? '', label: o.textContent ?? '' })),
        );

    /** The page's rows agree with the API's list for that user: same accounts, type, status. */
    async function rowsMatchApi(page: Page, token: string) {
      const items = await listed(token);
      await until(async () => (await page.locator('li[data-channel-id]').count()) === items.length);
      for (const c of items) {
        const row = page.locator(`li[data-channel-id="${c.id}"]`);
        await row.locator(`[data-field="status"][data-status="${c.status}"]`).waitFor();
        expect(await row.locator('[data-field="type"]').textContent()).toBe(
          c.type === 'whatsapp' ? 'WhatsApp' : 'Webhook',
        );
      }
      return items;
    }

    it('serves the page with a CSP that allows data: images (the QR code) and nothing wider', async () => {
      const csp = (await fetch(`${api.base}/`)).headers.get('content-security-policy') ?? '';
      const directives = Object.fromEntries(
        csp.split(';').map((d) => {
          const [name, ...values] = d.trim().split(/\s+/);
          return [name, values.join(' ')];
        }),
      );
      expect(directives['img-src']).toBe("'self' data:");
      expect(directives['default-src']).toBe("'self'");
      expect(directives['script-src']).toBe("'self'");
      expect(directives['style-src']).toBe("'self'");
      expect(directives['connect-src']).toBe("'self'");
      expect(csp).not.toMatch(/unsafe-|https?:|\*/);
    });

    describe('signed in as an Admin', () => {
      let page: Page;
      let close: () => Promise<void>;

      beforeAll(async () => {
        const opened = await openPage();
        page = opened.page;
        close = () => opened.context.close();
        await signIn(page, admin, 'admin');
        await channelsLink(page).click();
        await page.getByRole('heading', { name: 'Connect a channel' }).waitFor();
      });
      afterAll(async () => close?.());

      it('lists the accounts the API lists, with type, owner by name and status', async () => {
        const items = await rowsMatchApi(page, admin.token);
        expect(items.map((c) => c.id)).toContain(hq.id);
        const row = page.locator(`li[data-channel-id="${hq.id}"]`);
        expect(await row.locator('[data-field="owner"]').textContent()).toBe('Workspace (HQ)');
        expect(await row.locator('[data-field="status"]').textContent()).toBe('Active');
      });

      it('offers an Admin (channel.connect all) the workspace, every team and every member as owner', async () => {
        const options = await ownerOptions(page);
        expect(options.map((o) => o.value).sort()).toEqual(
          [
            'workspace',
            `team:${team}`,
            `team:${subTeam}`,
            `user:${ownerId}`,
            `user:${admin.id}`,
            `user:${agent.id}`,
            `user:${mate.id}`,
            `user:${other.id}`,
          ].sort(),
        );
        expect(options.find((o) => o.value === 'workspace')?.label).toBe('Workspace (HQ)');
        expect(options.find((o) => o.value === `team:${team}`)?.label).toBe('Team Sales');
      });

      it('connects a webhook channel for the workspace and shows its inbound URL and secret once; the secret works', async () => {
        const form = page.locator('#connect-form');
        await form.getByLabel(/^Webhook/).check();
        await form.getByLabel('Channel name').fill('Support form');
        await form.getByLabel('Owner').selectOption('workspace');
        await form.getByLabel(/^Outbound URL/).fill('https://example.com/replies');
        await form.getByRole('button', { name: 'Connect webhook channel' }).click();

        const once = page.locator('.secret-once');
        await once.waitFor();
        // The heading takes the focus: a keyboard or screen-reader user lands on what to copy.
        await until(() =>
          once
            .getByRole('heading', { name: '“Support form” is connected' })
            .evaluate((el) => el === el.ownerDocument.activeElement),
        );
        await once.getByText('the secret is shown only this once').waitFor();
        const url = await once.getByLabel('Inbound URL').inputValue();
        const secret = await once.getByLabel('Signing secret').inputValue();
        expect(secret).toMatch(/^[0-9a-f]{64}$/);
        // The copy hint: copied, or (clipboard refused) selected for Ctrl+C.
        await once.getByRole('button', { name: 'Copy secret' }).click();
        await once.getByText(/^Secret (copied\.|selected: press Ctrl\+C)/).waitFor();

        const made = (await listed(admin.token)).find((c) => c.name === 'Support form');
        expect(made).toMatchObject({
          type: 'webhook',
          owner: { type: 'workspace' },
          status: 'active',
        });
        expect(url).toBe(`http://sb.test/v1/inbound/webhook/${made?.id}`);
        const row = page.locator(`li[data-channel-id="${made?.id}"]`);
        await row.waitFor();
        expect(await row.locator('[data-field="owner"]').textContent()).toBe('Workspace (HQ)');

        // The secret shown is the channel's: a message signed with it is accepted.
        const raw = JSON.stringify({
          messageId: 'm-support-1',
          chatId: 'c-support-1',
          contact: { name: 'Sam Support' },
          text: 'Hello through the new channel',
          sentAt: new Date().toISOString(),
        });
        const inbound = await call('POST', `/v1/inbound/webhook/${made?.id}`, {
          raw,
          headers: signedHeaders(secret, raw),
        });
        expect(inbound.status).toBe(202);

        await page.screenshot({ path: path.join(artifacts, 'channels-webhook-secret.png') });
        await once.getByRole('button', { name: 'I have copied them' }).click();
        await once.waitFor({ state: 'detached' });
        expect(await page.content()).not.toContain(secret);
        // Never again: not after coming back to the view either.
        await page.getByRole('link', { name: 'Inbox' }).click();
        await page.locator('#chat-list').waitFor();
        await channelsLink(page).click();
        await page.locator(`li[data-channel-id="${made?.id}"]`).waitFor();
        expect(await page.content()).not.toContain(secret);
      });

      it('shows the server’s refusal as the server words it (an owner suspended behind the page’s back)', async () => {
        const form = page.locator('#connect-form');
        await form.getByLabel(/^Webhook/).check();
        await form.getByLabel('Channel name').fill('For Bo');
        await form.getByLabel('Owner').selectOption(`user:${other.id}`);
        expect(
          (await call('POST', `/v1/workspaces/${ws}/members/${other.id}/suspend`, { token: owner }))
            .status,
        ).toBe(200);
        try {
          const refusal = await call('POST', `/v1/workspaces/${ws}/channels`, {
            token: admin.token,
            body: { type: 'webhook', name: 'For Bo', owner: { type: 'user', id: other.id } },
          });
          expect(refusal.status).toBe(422);
          await form.getByRole('button', { name: 'Connect webhook channel' }).click();
          const alert = form.getByRole('alert');
          await alert.waitFor();
          expect(await alert.textContent()).toContain(refusal.body.error.message);
          expect((await listed(owner)).some((c) => c.name === 'For Bo')).toBe(false);
        } finally {
          await call('POST', `/v1/workspaces/${ws}/members/${other.id}/reinstate`, {
            token: owner,
          });
        }
      });

      it('connects a WhatsApp account: its QR code is drawn as an image, replaced live, then “connected”', async () => {
        const form = page.locator('#connect-form');
        await form.getByLabel(/^WhatsApp/).check();
        // No outbound URL for an account that sends replies itself.
        expect(await form.getByLabel(/^Outbound URL/).count()).toBe(0);
        await form.getByLabel('Channel name').fill('Sales phone');
        await form.getByLabel('Owner').selectOption(`user:${admin.id}`);
        await form.getByRole('button', { name: 'Connect WhatsApp account' }).click();

        const made = await vi.waitFor(
          async () => {
            const found = (await listed(admin.token)).find((c) => c.name === 'Sales phone');
            expect(found).toBeDefined();
            return found as ListedChannel;
          },
          { timeout: 5_000 },
        );
        expect(made).toMatchObject({
          type: 'whatsapp',
          owner: { type: 'user', id: admin.id },
          status: 'qr_pending',
        });
        const panel = page.locator(`[data-qr-channel="${made.id}"]`);
        await panel.getByText('Waiting for the QR code from WhatsApp…').waitFor();
        const image = panel.getByRole('img', { name: /^WhatsApp QR code/ });
        expect(await image.count()).toBe(0);

        const fake = await fakes.nth(made.id);
        const first = whatsappQr();
        fake.emit('qr', first);
        await image.waitFor();
        const firstSrc = (await image.getAttribute('src')) ?? '';
        expect(firstSrc).toMatch(/^data:image\/png;base64,/);
        await expectDrawn(page, image, first);
        expect(
          (await call('GET', `/v1/workspaces/${ws}/channels/${made.id}/qr`, { token: admin.token }))
            .body,
        ).toEqual({ status: 'qr_pending', qr: first });
        await panel.scrollIntoViewIfNeeded();
        await page.screenshot({ path: path.join(artifacts, 'channels-whatsapp-qr.png') });

        // WhatsApp replaces its code: the page draws the new one by itself, from the event
        // stream (polling is blocked meanwhile, so only the stream can bring it).
        await page.route('**/channels/*/qr', (route) => route.abort());
        try {
          const second = whatsappQr();
          fake.emit('qr', second);
          await until(
            async () => ((await image.getAttribute('src')) ?? firstSrc) !== firstSrc,
            5_000,
          );
          await expectDrawn(page, image, second);
        } finally {
          await page.unroute('**/channels/*/qr');
        }

        fake.emit('authenticated');
        fake.emit('ready');
        await panel.getByText('“Sales phone” is connected.').waitFor();
        expect(await image.count()).toBe(0);
        await page
          .locator(
            `li[data-channel-id="${made.id}"] [data-field="status"][data-status="connected"]`,
          )
          .waitFor();
        expect((await listed(admin.token)).find((c) => c.id === made.id)?.status).toBe('connected');
        await panel.scrollIntoViewIfNeeded();
        await page.screenshot({ path: path.join(artifacts, 'channels-whatsapp-connected.png') });
      });

      it('disables and reconnects a WhatsApp account (a new QR code then shows); webhook channels offer neither', async () => {
        const made = (await listed(admin.token)).find(
          (c) => c.name === 'Sales phone',
        ) as ListedChannel;
        const row = page.locator(`li[data-channel-id="${made.id}"]`);
        await row.getByRole('button', { name: 'Disable Sales phone' }).click();
        await row.locator('[data-field="status"][data-status="disabled"]').waitFor();
        expect((await listed(admin.token)).find((c) => c.id === made.id)?.status).toBe('disabled');
        expect(await row.getByRole('button', { name: 'Disable Sales phone' }).count()).toBe(0);

        const clients = fakes.count(made.id);
        await row.getByRole('button', { name: 'Reconnect Sales phone' }).click();
        await until(
          async () =>
            (await listed(admin.token)).find((c) => c.id === made.id)?.status === 'qr_pending',
        );
        const fake = await fakes.nth(made.id, clients + 1);
        const panel = page.locator(`[data-qr-channel="${made.id}"]`);
        const qr = whatsappQr();
        fake.emit('qr', qr);
        const image = panel.getByRole('img', { name: /^WhatsApp QR code/ });
        await image.waitFor();
        await expectDrawn(page, image, qr);

        // A webhook channel can be neither disabled nor reconnected here.
        const webhook = page.locator(`li[data-channel-id="${hq.id}"]`);
        expect(await webhook.getByRole('button').count()).toBe(0);
        await rowsMatchApi(page, admin.token);
      });

      it('an account whose client cannot start says why, as GET …/qr does, and that Reconnect tries again', async () => {
        const reason = 'net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/';
        fakes.failing.with = new Error(reason);
        try {
          const form = page.locator('#connect-form');
          await form.getByLabel(/^WhatsApp/).check();
          await form.getByLabel('Channel name').fill('Offline phone');
          await form.getByLabel('Owner').selectOption('workspace');
          await form.getByRole('button', { name: 'Connect WhatsApp account' }).click();
          const made = await vi.waitFor(
            async () => {
              const found = (await listed(admin.token)).find((c) => c.name === 'Offline phone');
              expect(found).toBeDefined();
              return found as ListedChannel;
            },
            { timeout: 5_000 },
          );
          const detail = `failed to start: ${reason}`;
          await until(
            async () =>
              JSON.stringify(
                (
                  await call('GET', `/v1/workspaces/${ws}/channels/${made.id}/qr`, {
                    token: admin.token,
                  })
                ).body,
              ) === JSON.stringify({ status: 'disconnected', detail }),
          );
          const panel = page.locator(`[data-qr-channel="${made.id}"]`);
          await panel.getByText(`“Offline phone”: Disconnected: ${detail}`).waitFor();
          await panel.getByText('Reconnect Offline phone tries again.').waitFor();
          const row = page.locator(`li[data-channel-id="${made.id}"]`);
          await row.locator('[data-field="status"][data-status="disconnected"]').waitFor();
          await row.locator('[data-field="status-detail"]', { hasText: detail }).waitFor();
          await row.getByRole('button', { name: 'Reconnect Offline phone' }).waitFor();
          await panel.scrollIntoViewIfNeeded();
          await page.screenshot({ path: path.join(artifacts, 'channels-whatsapp-down.png') });
        } finally {
          fakes.failing.with = undefined;
        }
      });
    });

    it('without the event stream (blocked), polling still shows the QR code and then “connected”', async () => {
      const { context, page } = await openPage();
      await page.route('**/events', (route) => route.abort());
      await signIn(page, admin, 'admin');
      const created = await call('POST', `/v1/workspaces/${ws}/channels`, {
        token: admin.token,
        body: { type: 'whatsapp', name: 'Backup phone', owner: { type: 'workspace' } },
      });
      expect(created.status).toBe(201);
      const id = created.body.channel.id as string;
      await channelsLink(page).click();
      await page.getByRole('button', { name: 'Show the QR code of Backup phone' }).click();
      const panel = page.locator(`[data-qr-channel="${id}"]`);
      await panel.waitFor();
      const qr = whatsappQr();
      (await fakes.nth(id)).emit('qr', qr);
      const image = panel.getByRole('img', { name: /^WhatsApp QR code/ });
      await image.waitFor();
      await expectDrawn(page, image, qr);
      (await fakes.nth(id)).emit('ready');
      await panel.getByText('“Backup phone” is connected.').waitFor();
      await context.close();
    });

    it('an Agent (channel.connect own) is offered only themselves as owner, and the channel is theirs', async () => {
      const { context, page } = await openPage();
      await signIn(page, agent, 'agent');
      await channelsLink(page).click();
      await page.getByRole('heading', { name: 'Connect a channel' }).waitFor();
      // In team Sales, yet `own` offers neither the team nor the workspace nor a colleague.
      expect(await ownerOptions(page)).toEqual([
        { value: `user:${agent.id}`, label: 'You (Aggie Agent)' },
      ]);
      const form = page.locator('#connect-form');
      await form.getByLabel('Channel name').fill('Aggie form');
      await form.getByRole('button', { name: 'Connect webhook channel' }).click();
      await page.locator('.secret-once').waitFor();
      const made = (await listed(owner)).find((c) => c.name === 'Aggie form');
      expect(made).toMatchObject({ type: 'webhook', owner: { type: 'user', id: agent.id } });
      await page.getByRole('button', { name: 'I have copied them' }).click();
      // The Agent sees only the accounts the API shows them (their own), not HQ's.
      const items = await rowsMatchApi(page, agent.token);
      expect(items.map((c) => c.id)).toEqual([made?.id]);
      expect(await page.locator(`li[data-channel-id="${hq.id}"]`).count()).toBe(0);
      await context.close();
    });

    it('a member whose custom role gives channel.connect "team" is offered themselves, their teams (sub-teams too) and their teammates, nothing wider', async () => {
      const role = await call('POST', `/v1/workspaces/${ws}/roles`, {
        token: owner,
        body: {
          name: 'Team channels',
          permissions: { 'chat.view': 'team', 'channel.view': 'team', 'channel.connect': 'team' },
        },
      });
      expect(role.status, role.text).toBe(201);
      const bound = await call('POST', `/v1/workspaces/${ws}/role-bindings`, {
        token: owner,
        body: { roleId: role.body.role.id, subject: { type: 'user', id: mate.id } },
      });
      expect(bound.status, bound.text).toBe(201);
      const me = await call('GET', '/v1/me', { token: mate.token });
      expect(
        me.body.workspaces.find((w: { id: string }) => w.id === ws).permissions['channel.connect'],
      ).toBe('team');

      const { context, page } = await openPage();
      await signIn(page, mate, 'teammate');
      await channelsLink(page).click();
      await page.getByRole('heading', { name: 'Connect a channel' }).waitFor();
      // Team Sales, its sub-team and the colleague in it, as the server's policy lists them
      // (connectOwners); not HQ, not a colleague outside the team, not another team.
      await until(async () => (await ownerOptions(page)).length === 4);
      expect(await ownerOptions(page)).toEqual([
        { value: `user:${mate.id}`, label: 'You (Tom Teammate)' },
        { value: `team:${team}`, label: 'Team Sales' },
        { value: `team:${subTeam}`, label: 'Team Sales EU' },
        { value: `user:${agent.id}`, label: 'Aggie Agent' },
      ]);
      const form = page.locator('#connect-form');
      await form.getByLabel('Channel name').fill('Sales EU form');
      await form.getByLabel('Owner').selectOption(`team:${subTeam}`);
      await form.getByRole('button', { name: 'Connect webhook channel' }).click();
      await page.locator('.secret-once').waitFor();
      expect((await listed(owner)).find((c) => c.name === 'Sales EU form')).toMatchObject({
        type: 'webhook',
        owner: { type: 'team', id: subTeam },
      });
      await context.close();
    });

    it('a Collaborator (channel.view none) is not offered the Channels view', async () => {
      const collaborator = await addMember(api, ws, owner, {
        email: 'collab@web-channels.test',
        name: 'Cole Collaborator',
        role: 'collaborator',
      });
      const { context, page } = await openPage();
      await signIn(page, collaborator, 'collaborator');
      expect(await page.getByRole('link', { name: 'Channels' }).count()).toBe(0);
      await context.close();
    });

    describe('the access panel of a chat', () => {
      const panelButton = (page: Page) =>
        page.getByRole('button', { name: 'Who can see this chat, and why' });
      const audienceIds = async (action: string, token: string) =>
        (
          (
            await call('GET', `/v1/workspaces/${ws}/chats/${chat}/audience?action=${action}`, {
              token,
            })
          ).body.users as Array<{ id: string }>
        )
          .map((u) => u.id)
          .sort();
      const shownIds = async (page: Page, action: string) =>
        (
          await page
            .locator(`.audience[data-action="${action}"] li[data-user-id]`)
            .evaluateAll((els) => els.map((el) => el.getAttribute('data-user-id') ?? ''))
        ).sort();
      const explained = async (userId: string, action: string) =>
        (
          await call(
            'GET',
            `/v1/workspaces/${ws}/access/explain?userId=${userId}&chatId=${chat}&action=${action}`,
            { token: admin.token },
          )
        ).body as { allowed: boolean; level: string; reasons: string[] };

      it('for an Admin: who may see and reply, as the API answers, and the reasons of a decision for a chosen member', async () => {
        const { context, page } = await openPage();
        await signIn(page, admin, 'admin');
        await page.goto(`${api.base}/#/chats/${chat}`);
        await page.getByRole('heading', { name: 'Carla Contact' }).waitFor();
        await panelButton(page).click();
        expect(await panelButton(page).getAttribute('aria-expanded')).toBe('true');
        await page.locator('.audience[data-action="chat.view"] li[data-user-id]').first().waitFor();

        const view = await audienceIds('chat.view', admin.token);
        const reply = await audienceIds('chat.reply', admin.token);
        // The chat is HQ's and assigned to the Agent: the Admin and the Agent see it, Bo does not.
        expect(view).toEqual(expect.arrayContaining([admin.id, agent.id]));
        expect(view).not.toContain(other.id);
        expect(await shownIds(page, 'chat.view')).toEqual(view);
        expect(await shownIds(page, 'chat.reply')).toEqual(reply);
        await page.getByRole('heading', { name: `May see it (${view.length})` }).waitFor();

        // Why may the Agent reply? (keyboard: the selects are labelled and reachable.)
        const form = page.getByRole('form', { name: 'Explain a decision' });
        await form.getByLabel('Member').selectOption(agent.id);
        await form.getByLabel('Action').selectOption('chat.reply');
        await form.getByLabel('Action').focus();
        await page.keyboard.press('Tab');
        await page.keyboard.press('Enter');
        const decision = form.locator('.decision');
        await decision.waitFor();
        const agentReply = await explained(agent.id, 'chat.reply');
        expect(agentReply.reasons.length).toBeGreaterThan(0);
        expect(await decision.getAttribute('data-allowed')).toBe(String(agentReply.allowed));
        expect(
          await decision.getByRole('list', { name: 'Reasons' }).locator('li').allTextContents(),
        ).toEqual(agentReply.reasons);

        // And why may another Agent not see it?
        await form.getByLabel('Member').selectOption(other.id);
        await form.getByLabel('Action').selectOption('chat.view');
        await form.getByRole('button', { name: 'Explain' }).click();
        const otherView = await explained(other.id, 'chat.view');
        expect(otherView.allowed).toBe(false);
        await form.locator('.decision[data-allowed="false"]').waitFor();
        await form.getByText('Denied:').waitFor();
        expect(
          await form.getByRole('list', { name: 'Reasons' }).locator('li').allTextContents(),
        ).toEqual(otherView.reasons);
        await page.screenshot({ path: path.join(artifacts, 'chat-access-panel-desktop.png') });
        await context.close();
      });

      it('the panel follows the chat live: reassigning it to the other Agent changes who may see it', async () => {
        const { context, page } = await openPage();
        await signIn(page, admin, 'admin');
        await page.goto(`${api.base}/#/chats/${chat}`);
        await page.getByRole('heading', { name: 'Carla Contact' }).waitFor();
        await panelButton(page).click();
        await page
          .locator(`.audience[data-action="chat.view"] li[data-user-id="${agent.id}"]`)
          .waitFor();
        try {
          expect(
            (
              await call('PUT', `/v1/workspaces/${ws}/chats/${chat}/assignee`, {
                token: owner,
                body: { type: 'user', id: other.id },
              })
            ).status,
          ).toBe(200);
          await page
            .locator(`.audience[data-action="chat.view"] li[data-user-id="${other.id}"]`)
            .waitFor();
          expect(await shownIds(page, 'chat.view')).toEqual(
            await audienceIds('chat.view', admin.token),
          );
        } finally {
          await call('PUT', `/v1/workspaces/${ws}/chats/${chat}/assignee`, {
            token: owner,
            body: { type: 'user', id: agent.id },
          });
        }
        await context.close();
      });

      it('at phone width the chat with its panel fits the screen', async () => {
        const { context, page } = await openPage('phone');
        await signIn(page, admin, 'admin');
        await page.goto(`${api.base}/#/chats/${chat}`);
        await page.getByRole('heading', { name: 'Carla Contact' }).waitFor();
        await panelButton(page).click();
        await page.locator('.audience[data-action="chat.view"] li[data-user-id]').first().waitFor();
        const form = page.getByRole('form', { name: 'Explain a decision' });
        await form.getByLabel('Member').selectOption(agent.id);
        await form.getByRole('button', { name: 'Explain' }).click();
        await form.locator('.decision').waitFor();
        expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
          390,
        );
        await page.screenshot({
          path: path.join(artifacts, 'chat-access-panel-phone.png'),
          fullPage: true,
        });
        await context.close();
      });

      it('an Agent (no users.manage) never gets the panel, and the server refuses them an explanation of others', async () => {
        const { context, page } = await openPage();
        await signIn(page, agent, 'agent');
        await page.goto(`${api.base}/#/chats/${chat}`);
        await page.getByRole('heading', { name: 'Carla Contact' }).waitFor();
        // The header has the role from /v1/me (signIn waited): the absence below is a decision.
        await page.locator('.chat-head .actions').waitFor({ state: 'attached' });
        await page.waitForTimeout(300);
        expect(await panelButton(page).count()).toBe(0);
        expect(await page.locator('.access-panel').count()).toBe(0);
        expect(await page.getByText('May see it').count()).toBe(0);
        const refused = await call(
          'GET',
          `/v1/workspaces/${ws}/access/explain?userId=${other.id}&chatId=${chat}&action=chat.view`,
          { token: agent.token },
        );
        expect(refused.status).toBe(403);
        await context.close();
      });
    });

    it('at phone width (390 px) the channels view fits the screen and connects a channel', async () => {
      const { context, page } = await openPage('phone');
      await signIn(page, admin, 'admin');
      await channelsLink(page).click();
      await page.getByRole('heading', { name: 'Connect a channel' }).waitFor();
      await page.locator(`li[data-channel-id="${hq.id}"]`).waitFor();
      const form = page.locator('#connect-form');
      await form.getByLabel('Channel name').fill('Phone-made form');
      await form.getByRole('button', { name: 'Connect webhook channel' }).click();
      await page.locator('.secret-once').waitFor();
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await page.screenshot({ path: path.join(artifacts, 'channels-phone.png'), fullPage: true });
      expect(existsSync(path.join(artifacts, 'channels-phone.png'))).toBe(true);
      await context.close();
    });
  },
);

/** The dark modules of the QR code of `text`, as the `qrcode` package encodes it (row by row). */
function modulesOf(text: string): boolean[][] {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const rows: boolean[][] = [];
  for (let r = 0; r < modules.size; r++) {
    const row: boolean[] = [];
    for (let c = 0; c < modules.size; c++) row.push(modules.get(r, c) === 1);
    rows.push(row);
  }
  return rows;
}

/**
 * The modules the page's image shows: the image drawn on a canvas and sampled at the centre of
 * each module (the page draws it 264 px wide with a 2-module margin).
 */
async function drawnModules(page: Page, image: ReturnType<Page['getByRole']>, size: number) {
  const src = (await image.getAttribute('src')) ?? '';
  // Run in the page (a string: the test's own typecheck has no DOM).
  const sample = `(async (url, n) => {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0);
    const { data, width } = g.getImageData(0, 0, canvas.width, canvas.height);
    const margin = 2;
    const scale = width / (n + margin * 2);
    const at = (i) => Math.floor((margin + i + 0.5) * scale);
    const rows = [];
    for (let r = 0; r < n; r++) {
      const row = [];
      for (let c = 0; c < n; c++) row.push(data[(at(r) * width + at(c)) * 4] < 128);
      rows.push(row);
    }
    return rows;
  })(${JSON.stringify(src)}, ${size})`;
  return page.evaluate<boolean[][]>(sample);
}

/** The page's image shows the QR code of exactly `text`. */
async function expectDrawn(page: Page, image: ReturnType<Page['getByRole']>, text: string) {
  const expected = modulesOf(text);
  expect(await drawnModules(page, image, expected.length)).toEqual(expected);
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
