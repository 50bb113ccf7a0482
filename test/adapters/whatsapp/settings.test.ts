import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/core/errors.js';
import {
  defaultWhatsappSettings,
  parseWhatsappSettings,
  shouldIngest,
} from '../../../src/adapters/whatsapp/settings.js';
import { toInbound, type WhatsappInbound } from '../../../src/adapters/whatsapp/to-inbound.js';
import { ANNA, BEN, GROUP, LID, messageOf, text } from './fixtures/messages.js';

const account = { workspaceId: 'ws_1', channelId: 'ch_1' };
const inbound = (data: Record<string, unknown>, hint = {}): WhatsappInbound => {
  const result = toInbound(messageOf(data), account, hint);
  if (!result.ok) throw new Error(result.reason);
  return result.message;
};

describe('WhatsApp account settings (personal-chat protection)', () => {
  it('defaults: groups off, nobody excluded; other keys of the settings object are kept', () => {
    expect(defaultWhatsappSettings).toEqual({ groups: false, excludedContacts: [] });
    expect(parseWhatsappSettings({ phoneNumber: '49160' })).toEqual({
      groups: false,
      excludedContacts: [],
      phoneNumber: '49160',
    });
    expect(parseWhatsappSettings(null)).toEqual(defaultWhatsappSettings);
  });

  it('normalizes excluded contacts: phones to E.164 with the plus, ids to their canonical form, no duplicates', () => {
    const settings = parseWhatsappSettings({
      groups: true,
      excludedContacts: [
        '+49 170 1234567',
        '491701234567',
        '0049 (170) 123-4567',
        '4915112345678@S.WHATSAPP.NET',
        LID,
      ],
    });
    expect(settings.excludedContacts).toEqual(['+491701234567', BEN, LID]);
  });

  it('refuses an excluded phone that cannot be made international, saying why', () => {
    let caught: unknown;
    try {
      parseWhatsappSettings({ excludedContacts: ['0170 1234567'] });
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught) && caught.details?.[0]).toEqual({
      path: 'excludedContacts.0',
      message: expect.stringContaining('national number') as unknown,
    });
  });

  it('malformed settings are an invalid_input AppError that names the field', () => {
    for (const bad of [
      { groups: 'yes' },
      { excludedContacts: ['not a phone'] },
      { excludedContacts: ['x@nowhere'] },
    ]) {
      let caught: unknown;
      try {
        parseWhatsappSettings(bad);
      } catch (error) {
        caught = error;
      }
      expect(isAppError(caught) && caught.code).toBe('invalid_input');
      if (isAppError(caught))
        expect(caught.details?.[0]?.path).toMatch(/^(groups|excludedContacts\.0)$/);
    }
  });

  it('rule: group chats are not ingested unless the account turns them on', () => {
    const group = inbound(text('hi all', { chat: GROUP, author: BEN }));
    expect(shouldIngest(defaultWhatsappSettings, group)).toEqual({
      ingest: false,
      reason: 'group_chats_disabled',
    });
    expect(shouldIngest({ groups: true, excludedContacts: [] }, group)).toEqual({ ingest: true });
    expect(shouldIngest(defaultWhatsappSettings, inbound(text('hi')))).toEqual({ ingest: true });
  });

  it('rule: chats with an excluded contact are never ingested, listed by phone or by id', () => {
    const anna = inbound(text('hi'));
    const byPhone = parseWhatsappSettings({ excludedContacts: ['+49 170 123 4567'] });
    const byJid = parseWhatsappSettings({ excludedContacts: [ANNA] });
    expect(shouldIngest(byPhone, anna)).toEqual({ ingest: false, reason: 'excluded_contact' });
    expect(shouldIngest(byJid, anna)).toEqual({ ingest: false, reason: 'excluded_contact' });
    // Our own messages in that chat are just as private.
    expect(shouldIngest(byPhone, inbound(text('bis gleich', { fromMe: true })))).toMatchObject({
      ingest: false,
    });
    expect(shouldIngest(byPhone, inbound(text('hi', { chat: BEN })))).toEqual({ ingest: true });
  });

  it('rule: a @lid chat is excluded by its id, or by phone once the contact lookup knows it', () => {
    const settings = parseWhatsappSettings({ excludedContacts: ['4915112345678'] });
    expect(
      shouldIngest(settings, inbound(text('hi', { chat: LID }), { phone: '4915112345678' })),
    ).toMatchObject({
      ingest: false,
    });
    expect(
      shouldIngest(
        parseWhatsappSettings({ excludedContacts: [LID] }),
        inbound(text('hi', { chat: LID })),
      ),
    ).toMatchObject({
      ingest: false,
    });
  });

  it('rule: a group is excluded by its own id; listing a person does not hide the groups they write in', () => {
    const group = inbound(text('hi', { chat: GROUP, author: BEN }));
    expect(shouldIngest({ groups: true, excludedContacts: [GROUP] }, group)).toMatchObject({
      ingest: false,
      reason: 'excluded_contact',
    });
    expect(shouldIngest({ groups: true, excludedContacts: ['4915112345678'] }, group)).toEqual({
      ingest: true,
    });
  });
});
