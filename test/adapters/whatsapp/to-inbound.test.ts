import fc from 'fast-check';
import type { Message } from 'whatsapp-web.js';
import { describe, expect, it } from 'vitest';
import { toInbound } from '../../../src/adapters/whatsapp/to-inbound.js';
import {
  ANNA,
  BEN,
  GROUP,
  LID,
  documentMessage,
  emptyMessage,
  image,
  location,
  messageOf,
  raw,
  text,
  vcard,
} from './fixtures/messages.js';

const account = { workspaceId: 'ws_1', channelId: 'ch_1' };
const map = (data: Record<string, unknown>, hint = {}) => toInbound(messageOf(data), account, hint);
const mapped = (data: Record<string, unknown>, hint = {}) => {
  const result = map(data, hint);
  if (!result.ok) throw new Error(`expected a mapped message, got ${result.reason}`);
  return result.message;
};

describe('toInbound: whatsapp-web.js Message → InboundMessage', () => {
  it('maps a direct text message to the core fields plus WhatsApp extras', () => {
    const data = text('Hallo, ist mein Paket unterwegs?', { id: '3EB0C767D26A1D8A2B4F' });
    expect(map(data)).toEqual({
      ok: true,
      message: {
        workspaceId: 'ws_1',
        channelId: 'ch_1',
        externalChatId: ANNA,
        providerMessageId: `false_${ANNA}_3EB0C767D26A1D8A2B4F`,
        contact: { name: 'Anna Schmidt', phone: '+491701234567', email: null },
        text: 'Hallo, ist mein Paket unterwegs?',
        sentAt: new Date(1718000000 * 1000),
        isGroup: false,
        sender: ANNA,
        senderName: 'Anna Schmidt',
        fromMe: false,
        messageType: 'chat',
        media: null,
      },
    });
  });

  it('a group message: the chat is the group, the sender its author, no phone for the group', () => {
    const m = mapped(text('Meeting at 3?', { chat: GROUP, author: BEN }));
    expect(m).toMatchObject({
      externalChatId: GROUP,
      isGroup: true,
      sender: BEN,
      senderName: 'Anna Schmidt',
      contact: { name: 'WhatsApp group 120363025246125486', phone: null, email: null },
    });
    expect(
      mapped(text('x', { chat: GROUP, author: BEN }), { name: 'Team Nord' }).contact.name,
    ).toBe('Team Nord');
  });

  it('media: text is the caption (never the base64 thumbnail in body), metadata only', () => {
    const m = mapped(image('Schaden am Karton'));
    expect(m.text).toBe('Schaden am Karton');
    expect(m.media).toEqual({
      type: 'image',
      mimetype: 'image/jpeg',
      filename: null,
      size: 84213,
      available: true,
    });
    const noCaption = mapped(image(undefined, { directPath: undefined }));
    expect(noCaption.text).toBe('');
    expect(noCaption.media?.available).toBe(false);
  });

  it('documents keep their file name and size; voice notes are media too', () => {
    expect(mapped(documentMessage()).media).toEqual({
      type: 'document',
      mimetype: 'application/pdf',
      filename: 'Rechnung 2024-117.pdf',
      size: 1048576,
      available: true,
    });
    const ptt = mapped(
      raw('ptt', {
        mimetype: 'audio/ogg; codecs=opus',
        size: 9000,
        directPath: '/v/x',
        duration: '4',
      }),
    );
    expect(ptt.media).toMatchObject({ type: 'ptt', mimetype: 'audio/ogg; codecs=opus' });
  });

  it('a location reads as its description, a contact card as the names it carries', () => {
    expect(mapped(location()).text).toBe('Brandenburger Tor, Pariser Platz, 10117 Berlin');
    expect(mapped(location({ loc: undefined })).text).toBe('52.516275,13.377704');
    expect(mapped(vcard('Ben Müller')).text).toBe('Contact card: Ben Müller');
  });

  it('our own message (sent from the phone): the chat is the recipient, no sender, not our name', () => {
    const m = mapped(text('Ist unterwegs!', { fromMe: true }));
    expect(m).toMatchObject({
      externalChatId: ANNA,
      fromMe: true,
      sender: null,
      senderName: null,
      contact: { name: '+491701234567', phone: '+491701234567' },
    });
  });

  it('a @lid chat has no phone unless the contact lookup knows it', () => {
    expect(mapped(text('hi', { chat: LID })).contact.phone).toBeNull();
    expect(
      mapped(text('hi', { chat: LID }), { phone: '+49 151 1234 5678', name: 'Ben' }).contact,
    ).toEqual({
      name: 'Ben',
      phone: '+4915112345678',
      email: null,
    });
    // The lookup's phone in any spelling is the same E.164 number; a national one is not kept.
    for (const phone of ['4915112345678', '0049 151 1234 5678', '4915112345678@c.us']) {
      expect(mapped(text('hi', { chat: LID }), { phone }).contact.phone, phone).toBe(
        '+4915112345678',
      );
    }
    expect(mapped(text('hi', { chat: LID }), { phone: '0151 1234 5678' }).contact.phone).toBeNull();
  });

  it('issue 17: the number in a @c.us id becomes E.164 with its plus, the same as any other spelling', () => {
    const fromJid = mapped(text('hi', { chat: '4930123456@c.us' })).contact.phone;
    expect(fromJid).toBe('+4930123456');
    expect(mapped(text('hi', { chat: '4930123456@s.whatsapp.net' })).contact.phone).toBe(fromJid);
    expect(mapped(text('hi', { chat: '4930123456:12@c.us' })).contact.phone).toBe(fromJid);
    // A contact without a name is named after the number, in the same form.
    expect(
      mapped(text('hi', { chat: '4930123456@c.us', notifyName: undefined })).contact.name,
    ).toBe('+4930123456');
    // Digits that make no international number: the chat is still ingested, without a phone.
    const unknown = mapped(text('hi', { chat: '999123456@c.us' }));
    expect(unknown.externalChatId).toBe('999123456@c.us');
    expect(unknown.contact.phone).toBeNull();
  });

  it('status updates, broadcast lists and channels are ignored, not rejected', () => {
    expect(map(text('my status', { chat: 'status@broadcast', author: ANNA }))).toMatchObject({
      ok: false,
      outcome: 'ignored',
      reason: 'status_broadcast',
    });
    expect(map(text('x', { chat: '1718000000@broadcast' }))).toMatchObject({
      outcome: 'ignored',
      reason: 'broadcast_list',
    });
    expect(map(text('x', { chat: '120363223456789012@newsletter' }))).toMatchObject({
      outcome: 'ignored',
      reason: 'newsletter',
    });
  });

  it('system messages (encryption notices, group events, revoked stubs) are ignored', () => {
    for (const type of ['e2e_notification', 'gp2', 'revoked', 'protocol', 'ciphertext'])
      expect(map(raw(type))).toMatchObject({
        ok: false,
        outcome: 'ignored',
        reason: 'system_message',
      });
  });

  it('rejects, with a reason, what it cannot understand', () => {
    expect(toInbound(emptyMessage(), account)).toMatchObject({
      outcome: 'rejected',
      reason: 'missing_id',
    });
    const noSerialized = text('x');
    (noSerialized.id as Record<string, unknown>)._serialized = '';
    expect(map(noSerialized)).toMatchObject({ reason: 'missing_id' });
    expect(map(raw('sticker_pack_v9'))).toMatchObject({
      outcome: 'rejected',
      reason: 'unknown_type',
    });
    expect(map(raw('unknown'))).toMatchObject({ reason: 'unknown_type' });
    expect(map(text('x', { chat: 'anna@c.us' }))).toMatchObject({ reason: 'malformed_jid' });
    expect(map(text('x', { chat: '12@c.us' }))).toMatchObject({ reason: 'malformed_jid' });
    expect(map(text('x', { chat: 'no-server-at-all' }))).toMatchObject({ reason: 'malformed_jid' });
    const noTime = text('x');
    delete noTime.t;
    expect(map(noTime)).toMatchObject({ reason: 'malformed_timestamp' });
    expect(map({ ...text('x'), t: '1718000000' })).toMatchObject({ reason: 'malformed_timestamp' });
    expect(map(text('x', { t: -5 }))).toMatchObject({ reason: 'malformed_timestamp' });
    // Past what a Date can hold (found by the property test below).
    expect(map(text('x', { t: 8_640_000_000_001 }))).toMatchObject({
      reason: 'malformed_timestamp',
    });
    expect(map(text('x', { chat: GROUP }))).toMatchObject({ reason: 'missing_author' });
    expect(map(text('x', { chat: GROUP, author: 'someone' }))).toMatchObject({
      reason: 'malformed_jid',
    });
    const rejected = map(raw('unknown', { id: 'ABC' }));
    expect(rejected).toMatchObject({ providerMessageId: `false_${ANNA}_ABC` });
  });

  it('never throws, whatever it is given (property)', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const result = toInbound(value as Message, account);
        expect(result.ok).toBe(false);
      }),
    );
    fc.assert(
      fc.property(
        fc.record({
          id: fc.record({
            fromMe: fc.oneof(fc.boolean(), fc.anything()),
            remote: fc.oneof(fc.constantFrom(ANNA, GROUP, LID, 'status@broadcast'), fc.string()),
            id: fc.oneof(fc.string(), fc.anything()),
            _serialized: fc.oneof(fc.string(), fc.anything()),
          }),
          type: fc.oneof(
            fc.constantFrom('chat', 'image', 'location', 'vcard', 'gp2'),
            fc.anything(),
          ),
          t: fc.oneof(fc.integer(), fc.anything()),
          body: fc.anything(),
          author: fc.anything(),
          caption: fc.anything(),
          size: fc.anything(),
          directPath: fc.anything(),
          notifyName: fc.anything(),
        }),
        (data) => {
          let message: Message;
          try {
            message = messageOf(data);
          } catch {
            return; // the library itself refuses this shape
          }
          const result = toInbound(message, account);
          if (result.ok) {
            expect(typeof result.message.text).toBe('string');
            expect(result.message.providerMessageId.length).toBeGreaterThan(0);
            expect(Number.isNaN(result.message.sentAt.getTime())).toBe(false);
          }
        },
      ),
    );
  });
});
