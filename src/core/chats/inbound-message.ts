/**
 * Every channel's traffic becomes one `InboundMessage` before anything else sees it
 * (WhatsApp, the signed webhook channel, Slack): workspace, channel account, external chat
 * id, sender, text, provider message id. A provider's retry carries the same provider
 * message id, so ingesting it again changes nothing.
 */
export interface InboundMessage {
  workspaceId: string;
  channelId: string;
  externalChatId: string;
  providerMessageId: string;
  /** `phone` is E.164 with its '+' (`normalizePhone`, core/contacts/phone.ts), or null. */
  contact: { name: string; phone: string | null; email: string | null };
  text: string;
  sentAt: Date;
  /** A group chat (WhatsApp groups): the contact is the group, the sender one of its members. */
  isGroup?: boolean;
  /** Who sent it, where that is not the chat's contact (a group member). */
  senderExternalId?: string | null;
  /** What was attached: metadata only, the media itself stays with the provider. */
  media?: MediaMetadata | null;
  /**
   * Written by the account itself outside Switchboard (typed on the WhatsApp phone): stored
   * as an outgoing message that was sent, so the history shows both sides.
   */
  fromMe?: boolean;
}

export interface MediaMetadata {
  type: string;
  mimetype: string | null;
  filename: string | null;
  size: number | null;
}

export const PREVIEW_LENGTH = 200;

export function previewOf(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > PREVIEW_LENGTH ? `${oneLine.slice(0, PREVIEW_LENGTH - 1)}…` : oneLine;
}
