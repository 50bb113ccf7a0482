import type { Chat, Message } from './api.js';

/**
 * The live event stream (`GET /v1/workspaces/:ws/events`), read with `fetch` because
 * `EventSource` cannot send a bearer token. The server sends only what this user may see,
 * redacted for them; `access.ended` (or a refusal on reconnect) means the user lost access.
 */
export interface ChatEvent {
  type:
    | 'chat.created'
    | 'message.created'
    | 'message.status_changed'
    | 'chat.assignee_changed'
    | 'chat.participant_added';
  chatId: string;
  chat: Chat;
  message?: Message;
}

/**
 * A channel account's status and, while it waits to be linked, the QR code to scan; why it is
 * disconnected or logged out when known (sent only to those who may connect that account).
 */
export interface ChannelStatusEvent {
  channelId: string;
  status: string;
  qr?: string;
  detail?: string;
}

export interface StreamHandlers {
  onEvent(event: ChatEvent): void;
  onChannelStatus(event: ChannelStatusEvent): void;
  /** Connected (again): whatever was missed while away should be reloaded. */
  onOpen(): void;
  /** Access ended (suspended, revoked, token no longer valid): sign out. */
  onEnded(): void;
}

export function openStream(token: string, workspaceId: string, handlers: StreamHandlers) {
  let stopped = false;
  let controller = new AbortController();

  async function run(): Promise<void> {
    while (!stopped) {
      controller = new AbortController();
      try {
        const response = await fetch(`/v1/workspaces/${encodeURIComponent(workspaceId)}/events`, {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (response.status === 401 || response.status === 403 || response.status === 404) {
          handlers.onEnded();
          return;
        }
        if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
        handlers.onOpen();
        if (await read(response.body)) {
          handlers.onEnded();
          return;
        }
      } catch {
        if (stopped) return;
      }
      // Dropped (server restart, network): try again shortly.
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  /** Reads events until the stream ends; true when it ended because access ended. */
  async function read(body: ReadableStream<Uint8Array>): Promise<boolean> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return false;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type === 'access.ended') return true;
        if (!type || !data || type === 'ready') continue;
        try {
          const event = JSON.parse(data) as Partial<ChatEvent & ChannelStatusEvent>;
          if (type === 'channel.status') {
            if (typeof event.channelId === 'string' && typeof event.status === 'string')
              handlers.onChannelStatus(event as ChannelStatusEvent);
          } else if (typeof event.chatId === 'string' && event.chat) {
            handlers.onEvent(event as ChatEvent);
          }
        } catch {
          // Not an event of ours: ignore.
        }
      }
    }
  }

  void run();
  return {
    close() {
      stopped = true;
      controller.abort();
    },
  };
}
