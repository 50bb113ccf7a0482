import { describe, expect, it } from 'vitest';
import { parseNotice } from '../../../src/adapters/db/event-bus.js';

/** What a NOTIFY payload becomes for the event bus' listeners. */
describe('parseNotice', () => {
  it('passes a single event through as it is', () => {
    const event = { id: 'evt_1', type: 'chat.created', workspaceId: 'w', chatId: 'c' };
    expect(parseNotice(JSON.stringify(event))).toEqual([event]);
  });

  it('turns a notice naming many chats into one event per chat, with derived distinct ids', () => {
    const notice = {
      id: 'evt_9',
      type: 'chat.assignee_changed',
      workspaceId: 'w',
      chatIds: ['a', 'b', 'c'],
    };
    const events = parseNotice(JSON.stringify(notice));
    expect(events).toEqual([
      { id: 'evt_9_0', type: 'chat.assignee_changed', workspaceId: 'w', chatId: 'a' },
      { id: 'evt_9_1', type: 'chat.assignee_changed', workspaceId: 'w', chatId: 'b' },
      { id: 'evt_9_2', type: 'chat.assignee_changed', workspaceId: 'w', chatId: 'c' },
    ]);
    // Every process derives the same ids from the same notice.
    expect(parseNotice(JSON.stringify(notice))).toEqual(events);
  });

  it('zips messageIds beside chatIds into message.created events', () => {
    const notice = {
      id: 'evt_m',
      type: 'message.created',
      workspaceId: 'w',
      chatIds: ['a', 'a'],
      messageIds: ['m1', 'm2'],
    };
    expect(parseNotice(JSON.stringify(notice))).toEqual([
      { id: 'evt_m_0', type: 'message.created', workspaceId: 'w', chatId: 'a', messageId: 'm1' },
      { id: 'evt_m_1', type: 'message.created', workspaceId: 'w', chatId: 'a', messageId: 'm2' },
    ]);
  });

  it('drops what is not an event: bad JSON, no id, chatIds that are not a list', () => {
    expect(parseNotice('{nope')).toEqual([]);
    expect(parseNotice('null')).toEqual([]);
    expect(parseNotice(JSON.stringify({ type: 'chat.created' }))).toEqual([]);
    expect(parseNotice(JSON.stringify({ id: 'e', type: 'x', chatIds: 'abc' }))).toEqual([]);
  });
});
