import { redact, type ChatFacts, type Principal } from '../../core/access/index.js';
import type { ChatEvent } from '../../core/events/events.js';
import type { ChatSummary } from '../../core/chats/chat-summary.js';
import { chatJson, contactIdentifiers, type ChatJson } from './chat.js';
import { messageJson, type MessageJson, type MessageView } from './message.js';

/**
 * A chat event with what it shows, loaded once per event (`adapters/db/chat-reads.ts`); each
 * receiver (stream, webhook) decides with `chat` who may see it and presents it per user.
 */
export interface ChatEventView {
  event: ChatEvent;
  /** The chat's access facts: who may see the event. */
  facts: ChatFacts;
  chat: ChatSummary;
  /** The message, for `message.created` and `message.status_changed` (with its new status). */
  message?: MessageView;
}

export interface ChatEventJson {
  type: ChatEvent['type'];
  chatId: string;
  chat: ChatJson;
  message?: MessageJson;
}

/** A chat event as the stream and webhooks carry it, redacted for `principal`. */
export function presentChatEvent(principal: Principal, view: ChatEventView): ChatEventJson {
  const body: ChatEventJson = {
    type: view.event.type,
    chatId: view.event.chatId,
    chat: chatJson(view.chat),
    ...(view.message ? { message: messageJson(view.message) } : {}),
  };
  return redact(principal, body, contactIdentifiers(view.chat.contact));
}
