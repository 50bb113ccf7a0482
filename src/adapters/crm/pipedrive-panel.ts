import type { ChatJson } from '../present/chat.js';

/**
 * Switchboard's chats in Pipedrive's own formats: the JSON panel beside a person, deal or
 * organization, and the JSON modal that replies from it. Everything here starts from chats
 * already presented for the member (`presentChatPage`, where masking happens), so a masked
 * member's panel is masked too; what is added — channel, assignee and team names, links —
 * holds no contact identifier.
 *
 * JSON panel (https://pipedrive.readme.io/docs/json-panels-adding-a-panel):
 * - the answer is `{data: [object…]}`; at most ten objects, each of at most twenty fields
 *   besides `header`; `{data: []}` when there is nothing ("Nothing to show");
 * - every object has a numerical `id` and a `header`; the fields are those of the JSON data
 *   structure uploaded in Developer Hub (`pipedrivePanelSchema`, `additionalProperties`
 *   false): text (truncated by Pipedrive after 255 characters), date-time
 *   (`YYYY-MM-DDThh:mm:ssZ`), label `{color, label}` (green, red, blue, yellow, purple, grey;
 *   40 characters), link (`{label, value, external}`);
 * - an error is a status above 300 with `{error: {title (≤ 30 characters), subtitle}}`.
 *
 * JSON modal (https://pipedrive.readme.io/docs/app-extensions-json-modals,
 * https://pipedrive.readme.io/docs/json-modals-component-library,
 * https://pipedrive.readme.io/docs/json-modals-user-interaction-handling):
 * - opening it GETs `{data: {blocks: {<key>: options…}, actions: {}}}`, merged into the
 *   schema uploaded in Developer Hub (`pipedriveModalSchema`);
 * - submitting POSTs the form values `{<block key>: value}`; success is 200
 *   `{success: {message, type: "snackbar", link?: {label, value}}}`, an error tied to an input
 *   is `{data: {blocks: {<key>: {error}}}}`, any other `{error: {message}}`; 401 shows
 *   Pipedrive's "reinstall the app" screen.
 */

export const PANEL_MAX_OBJECTS = 10;
export const PANEL_MAX_FIELDS = 20;
export const TEXT_MAX = 255;
export const LABEL_MAX = 40;
export const ERROR_TITLE_MAX = 30;

export const labelColors = ['green', 'red', 'blue', 'yellow', 'purple', 'grey'] as const;
export type LabelColor = (typeof labelColors)[number];

export interface PanelLink {
  label: string;
  value: string;
  external: boolean;
}

/** One chat as a JSON-panel object (its fields in `pipedrivePanelSchema`'s order). */
export interface PanelObject {
  id: number;
  header: string;
  channel: string;
  assignee: string;
  last_message: string;
  time: string;
  status: { color: LabelColor; label: string };
  open_chat: PanelLink;
}

export interface PipedrivePanel {
  data: PanelObject[];
}

/**
 * The JSON data structure to upload in Developer Hub for the panel (multiple objects). Field
 * labels are in sentence case, as Pipedrive asks.
 */
export const pipedrivePanelSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['id', 'header'],
    properties: {
      id: { $ref: '#/definitions/numerical' },
      header: { $ref: '#/definitions/header' },
      channel: { $ref: '#/definitions/text', label: 'Channel' },
      assignee: { $ref: '#/definitions/text', label: 'Assignee' },
      last_message: { $ref: '#/definitions/text', label: 'Last message' },
      time: { $ref: '#/definitions/date-time', label: 'Last activity' },
      status: { $ref: '#/definitions/label', label: 'Status' },
      open_chat: { $ref: '#/definitions/link', label: 'Conversation' },
    },
  },
} as const;

/** What a panel object is made from: the chat as presented to the member, and names. */
export interface PanelChat {
  /** Presented (redacted) for the member: `presentChatPage`. */
  chat: ChatJson;
  /** The account's name, when the member may see the account; else its kind is unknown. */
  channelName: string | undefined;
  /** The assignee's name (a member or a team), when there is one. */
  assigneeName: string | undefined;
  /** Where the chat opens: the web inbox at `#/chats/:id` (sign-in first), not the JSON API. */
  url: string;
}

/** The chats as Pipedrive's JSON panel, newest first as given, at most ten. */
export function pipedrivePanel(chats: readonly PanelChat[], viewerUserId: string): PipedrivePanel {
  return {
    data: chats.slice(0, PANEL_MAX_OBJECTS).map((c, i) => panelObject(c, i + 1, viewerUserId)),
  };
}

function panelObject(c: PanelChat, id: number, viewerUserId: string): PanelObject {
  const { chat } = c;
  return {
    id,
    header: text(chat.contact.name || 'Unknown contact'),
    channel: text(c.channelName ?? 'Messaging account'),
    assignee: text(
      chat.assignee
        ? `${c.assigneeName ?? (chat.assignee.type === 'team' ? 'A team' : 'A member')}${chat.assignee.type === 'team' ? ' (team)' : ''}`
        : 'Unassigned',
    ),
    last_message: text(chat.lastMessagePreview || '—'),
    time: dateTime(chat.lastMessageAt),
    status: status(chat, viewerUserId),
    open_chat: { label: 'Open chat', value: c.url, external: true },
  };
}

function status(chat: ChatJson, viewerUserId: string): PanelObject['status'] {
  if (!chat.assignee) return { color: 'yellow', label: 'Unassigned' };
  if (chat.assignee.type === 'team') return { color: 'purple', label: 'Assigned to a team' };
  if (chat.assignee.id === viewerUserId) return { color: 'green', label: 'Assigned to you' };
  return { color: 'blue', label: 'Assigned' };
}

/** Pipedrive cuts text after 255 characters; cut here, on a character boundary, with an ellipsis. */
function text(value: string, max = TEXT_MAX): string {
  const chars = [...value.replace(/\s+/g, ' ').trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/** `YYYY-MM-DDThh:mm:ssZ`, as Pipedrive's date-time field takes it. */
function dateTime(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : `${at.toISOString().slice(0, 19)}Z`;
}

/** Pipedrive's panel error (sent with a status above 300). */
export function pipedrivePanelError(
  title: string,
  subtitle: string,
): { error: { title: string; subtitle: string } } {
  return { error: { title: text(title, ERROR_TITLE_MAX), subtitle } };
}

// --- The JSON modal -------------------------------------------------------------------------

/** The block keys of the reply modal (the form values Pipedrive POSTs use them). */
export const modalBlocks = { info: 'info', chat: 'chat', message: 'message' } as const;

/** The JSON modal's schema, to upload in Developer Hub. */
export const pipedriveModalSchema = {
  type: 'object',
  properties: {
    blocks: {
      type: 'object',
      properties: {
        [modalBlocks.info]: {
          $ref: '#/definitions/element-text',
          options: { value: 'Reply to this contact from Switchboard.' },
        },
        [modalBlocks.chat]: {
          $ref: '#/definitions/element-select',
          options: {
            label: 'Conversation',
            placeholder: 'Choose a conversation',
            isRequired: true,
            items: [],
          },
        },
        [modalBlocks.message]: {
          $ref: '#/definitions/element-textarea',
          options: {
            label: 'Message',
            placeholder: 'Write your reply',
            isRequired: true,
          },
        },
      },
    },
    actions: {
      type: 'object',
      properties: {
        cancel_action: {
          $ref: '#/definitions/action-secondary',
          options: { label: 'Cancel', handler: 'cancel' },
        },
        submit_action: {
          $ref: '#/definitions/action-primary',
          options: { label: 'Send', handler: 'request' },
        },
      },
    },
  },
} as const;

export interface ModalChoice {
  chatId: string;
  /** What the member sees: presented (redacted) for them. */
  label: string;
}

/** The answer to the modal's first GET: the conversations to choose from. */
export function pipedriveModalOpen(choices: readonly ModalChoice[]) {
  const items = choices.map((c) => ({ label: text(c.label), value: c.chatId }));
  return {
    data: {
      blocks: {
        [modalBlocks.info]: {
          value: items.length
            ? 'Your reply goes out through the conversation’s own account, under your reply rule.'
            : 'There is no conversation with this contact that you may see.',
        },
        [modalBlocks.chat]: items.length ? { items, value: items[0]?.value } : { items },
      },
      actions: {},
    },
  };
}

export function pipedriveModalSuccess(message: string, link?: { label: string; value: string }) {
  return { success: { message, type: 'snackbar' as const, ...(link ? { link } : {}) } };
}

/** An error Pipedrive shows inside the modal. */
export function pipedriveModalError(message: string): { error: { message: string } } {
  return { error: { message } };
}

/** An error shown under one input of the modal. */
export function pipedriveModalInputError(block: string, error: string) {
  return { data: { blocks: { [block]: { error } } } };
}

/** A modal choice's label: who, where, and the last words. */
export function modalChoiceLabel(c: PanelChat): string {
  return `${c.chat.contact.name || 'Unknown contact'} · ${c.channelName ?? 'Messaging account'} · ${c.chat.lastMessagePreview}`;
}
