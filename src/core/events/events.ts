/**
 * What happened, as small notices carrying ids only: every subscriber loads what it needs
 * and filters it through the access policy for its own user before showing anything.
 */
export type SwitchboardEvent =
  | { type: 'chat.created'; workspaceId: string; chatId: string }
  | { type: 'message.created'; workspaceId: string; chatId: string; messageId: string }
  /** A reply's delivery state moved (sent, delivered, read, failed): announced by the database. */
  | { type: 'message.status_changed'; workspaceId: string; chatId: string; messageId: string }
  | { type: 'chat.assignee_changed'; workspaceId: string; chatId: string }
  | { type: 'chat.participant_added'; workspaceId: string; chatId: string }
  /** Someone's access may have changed (role, status, teams, bindings): re-decide. */
  | { type: 'access.changed'; workspaceId: string }
  /**
   * A channel account's status or QR code changed (a WhatsApp account waiting to be linked,
   * connected, logged out). Not a chat event: only those who may connect the account hear it.
   */
  | { type: 'channel.status'; workspaceId: string; channelId: string }
  /**
   * A member was revoked: their access ended at `revokedAt`, and the `member.revoke` job
   * `jobId` moves their chats (to `reassignTo`, or unassigned). Not a chat event: webhooks
   * carry it to integrations (a CRM sync deactivates the user); event streams ignore it (the
   * `access.changed` of the same commit ends the member's streams).
   */
  | {
      type: 'member.revoked';
      workspaceId: string;
      userId: string;
      reassignTo: string | null;
      jobId: string;
      /** ISO-8601: notices travel as JSON. */
      revokedAt: string;
    };

/** Events about one chat: what webhooks deliver and chat views refresh on. */
export type ChatEvent = Extract<SwitchboardEvent, { chatId: string }>;

export const isChatEvent = (event: SwitchboardEvent): event is ChatEvent =>
  typeof (event as { chatId?: unknown }).chatId === 'string';

/** Publishes to every process of the deployment (not only this one). */
export interface EventPublisher {
  publish(event: SwitchboardEvent): Promise<void>;
}

/** As received: every event carries a unique id (webhook deliveries are idempotent on it). */
export type ReceivedEvent = SwitchboardEvent & { id: string };
