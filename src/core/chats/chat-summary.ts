import type { AssigneeRef } from '../access/index.js';

/** A chat as lists and use cases hand it to presenters: contact, assignee, last message. */
export interface ChatSummary {
  id: string;
  channelId: string;
  externalId: string;
  contact: { id: string; name: string; phone: string | null; email: string | null };
  assignee: AssigneeRef;
  lastMessageAt: Date;
  lastMessagePreview: string;
}
