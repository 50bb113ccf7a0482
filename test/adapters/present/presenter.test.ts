import { describe, expect, it } from 'vitest';
import {
  buildPrincipal,
  type ChatFacts,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import type { ChatSummary } from '../../../src/core/chats/chat-summary.js';
import {
  presentChat,
  presentChatDetail,
  presentChatPage,
} from '../../../src/adapters/present/chat.js';
import { presentChatEvent } from '../../../src/adapters/present/event.js';
import { presentHistory, presentMessage } from '../../../src/adapters/present/message.js';
import { memberCsvRows, presentMembers } from '../../../src/adapters/present/member.js';

function principal(mask: boolean) {
  const facts: WorkspaceAccessFacts = {
    workspaceId: 'ws',
    members: [
      {
        userId: 'u',
        name: 'U',
        status: 'active',
        role: 'agent',
        restrictions: { maskContactIdentifiers: mask },
      },
    ],
    teams: [],
    teamMembers: [],
    customRoles: [],
    bindings: [],
  };
  const p = buildPrincipal(facts, 'u');
  if (!p) throw new Error('no principal');
  return p;
}
const masked = principal(true);
const plain = principal(false);

const chat: ChatSummary = {
  id: 'cht_1',
  channelId: 'ch_1',
  externalId: '4915123456789@c.us',
  contact: { id: 'ct_1', name: 'Dana', phone: '+4915123456789', email: 'dana@example.com' },
  assignee: { type: 'team', teamId: 'tm_1' },
  lastMessageAt: new Date('2026-12-03T10:00:00.000Z'),
  lastMessagePreview: 'call +49 151 2345 6789',
};
const message = {
  id: 'msg_1',
  direction: 'in' as const,
  text: 'mail DANA@example.com or call +49 (151) 2345-6789',
  authorUserId: null,
  channelId: 'ch_1',
  sentAt: new Date('2026-12-03T10:00:00.000Z'),
  status: 'received',
};
const facts: ChatFacts = {
  id: 'cht_1',
  workspaceId: 'ws',
  channelId: 'ch_1',
  channelOwner: { type: 'workspace' },
  assignee: { type: 'team', teamId: 'tm_1' },
  participantIds: [],
};

const leaks = (value: unknown) => {
  const text = JSON.stringify(value);
  return text.replace(/\D/g, '').includes('4915123456789') || /dana@example\.com/i.test(text);
};

describe('the presenter (adapters/present)', () => {
  it('shows a chat as the API does: assignee by id, dates as ISO strings', () => {
    expect(presentChat(plain, chat)).toEqual({
      id: 'cht_1',
      channelId: 'ch_1',
      externalId: '4915123456789@c.us',
      contact: { id: 'ct_1', name: 'Dana', phone: '+4915123456789', email: 'dana@example.com' },
      assignee: { type: 'team', id: 'tm_1' },
      lastMessageAt: '2026-12-03T10:00:00.000Z',
      lastMessagePreview: 'call +49 151 2345 6789',
    });
  });

  it('masks the contact’s phone and email, and their mentions, for a masked user (PRODUCT.md §3.4)', () => {
    const shown = presentChat(masked, chat);
    expect(leaks(shown)).toBe(false);
    expect(shown.contact.phone).toBe('•••••••••••89');
    expect(shown.contact.email).toBe('d•••@•••.com');
    expect(shown.externalId).toMatch(/@c\.us$/);
    expect(leaks(presentChatPage(masked, { items: [chat], nextCursor: null }))).toBe(false);
    expect(leaks(presentChatDetail(masked, chat, null, []))).toBe(false);
  });

  it('masks the chat’s contact in message texts, by the identifiers the chat gives', () => {
    const contact = { phone: chat.contact.phone, email: chat.contact.email };
    expect(leaks(presentMessage(masked, message, contact))).toBe(false);
    expect(leaks(presentHistory(masked, { items: [message], nextCursor: null, contact }))).toBe(
      false,
    );
    expect(presentMessage(plain, message, contact).text).toBe(message.text);
  });

  it('leaves out a missing author, keeps a reply’s author', () => {
    expect(presentMessage(plain, message, undefined)).not.toHaveProperty('authorUserId');
    expect(
      presentMessage(plain, { ...message, direction: 'out', authorUserId: 'usr_1' }, undefined),
    ).toMatchObject({ authorUserId: 'usr_1', direction: 'out' });
  });

  it('a stored routing explanation of another shape is null', () => {
    expect(presentChatDetail(plain, chat, { nonsense: true }, []).routing).toBeNull();
    const routing = {
      at: '2026-12-03T10:00:00.000Z',
      rule: null,
      target: { type: 'team', id: 'tm_1' },
      strategy: null,
      reasons: ['no rule matched'],
    };
    const detail = presentChatDetail(plain, chat, routing, ['usr_2']);
    expect(detail.routing).toEqual(routing);
    expect(detail.participants).toEqual(['usr_2']);
  });

  it('an event carries the same chat and message the REST replies show, for each user', () => {
    const view = {
      event: {
        type: 'message.created' as const,
        workspaceId: 'ws',
        chatId: 'cht_1',
        messageId: 'msg_1',
      },
      facts,
      chat,
      message,
    };
    const contact = { phone: chat.contact.phone, email: chat.contact.email };
    for (const p of [plain, masked]) {
      const event = presentChatEvent(p, view);
      expect(event.type).toBe('message.created');
      expect(event.chatId).toBe('cht_1');
      expect(event.chat).toEqual(presentChat(p, chat));
      expect(event.message).toEqual(presentMessage(p, message, contact));
    }
    expect(leaks(presentChatEvent(masked, view))).toBe(false);
    expect(presentChatEvent(plain, { ...view, message: undefined })).not.toHaveProperty('message');
  });

  it('members: pending invitations after members, online from a stream or recent activity', () => {
    const now = new Date('2026-12-03T10:00:00.000Z');
    const may = { changeRole: true, restrict: true, suspend: false, reinstate: true, revoke: true };
    const members = presentMembers(
      {
        members: [
          {
            userId: 'u1',
            email: 'a@x.test',
            name: 'A',
            role: 'agent',
            status: 'active',
            teamIds: ['tm_1'],
            restrictions: {},
            lastSeenAt: new Date(now.getTime() - 60_000),
            may,
          },
          {
            userId: 'u2',
            email: 'b@x.test',
            name: 'B',
            role: 'agent',
            status: 'suspended',
            teamIds: [],
            restrictions: {},
            lastSeenAt: null,
            may,
          },
        ],
        invitations: [
          {
            invitationId: 'inv_1',
            email: 'c@x.test',
            name: 'C',
            role: 'agent',
            teamIds: [],
            restrictions: {},
          },
        ],
      },
      { now, isOnline: () => false },
    );
    expect(members.map((m) => [m.user.email, m.status, m.online])).toEqual([
      ['a@x.test', 'active', true],
      ['b@x.test', 'suspended', false],
      ['c@x.test', 'pending', false],
    ]);
    // What the caller may do travels with members; invitations carry none.
    expect(members[0]?.may).toEqual(may);
    expect(members[2]).not.toHaveProperty('may');
    expect(memberCsvRows(members, new Map([['tm_1', 'Sales']]))[0]).toEqual([
      'A',
      'a@x.test',
      'agent',
      'active',
      'Sales',
      '2026-12-03T09:59:00.000Z',
    ]);
  });
});
