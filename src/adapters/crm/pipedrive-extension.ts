import type { Principal } from '../../core/access/index.js';
import { listChannels } from '../../core/channels/list-channels.js';
import { replyToChat } from '../../core/chats/reply-to-chat.js';
import { listContactChats } from '../../core/crm/list-contact-chats.js';
import { resolvePanelMember } from '../../core/crm/panel-member.js';
import { pipedriveContacts } from '../../core/crm/pipedrive-contacts.js';
import { AppError } from '../../core/errors.js';
import type {
  IntegrationsStore,
  PipedriveIntegration,
} from '../../core/integrations/integrations-store.js';
import { channelsStore } from '../db/channels-store.js';
import { chatReads } from '../db/chat-reads.js';
import { contactChatsSource } from '../db/crm-store.js';
import { integrationsStore } from '../db/integrations-store.js';
import { replyDeps, type HttpDeps } from '../http/context.js';
import { presentChatPage } from '../present/chat.js';
import { authenticatePipedrive } from './pipedrive-auth.js';
import { peopleCache, pipedrivePeople, type PipedriveApiOptions } from './pipedrive-api.js';
import {
  modalBlocks,
  modalChoiceLabel,
  pipedriveModalError,
  pipedriveModalInputError,
  pipedriveModalOpen,
  pipedriveModalSuccess,
  pipedrivePanel,
  pipedrivePanelError,
  PANEL_MAX_OBJECTS,
  type PanelChat,
} from './pipedrive-panel.js';

/**
 * Pipedrive's JSON panel and JSON modal, answered as the Pipedrive user's mapped member
 * (shared/API.md "CRM panels", issue 20). A request is taken only when Pipedrive signed it for
 * this integration (`authenticatePipedrive`), for the integration's Pipedrive company, from a
 * Pipedrive user mapped to an active member; then it sees what that member sees — their scope,
 * CRM precedence, their masking — and replies within their reply rule, decided by the core
 * (`listContactChats`, `replyToChat`), never here.
 *
 * Answers are `{status, body}` in Pipedrive's shapes (see pipedrive-panel.ts); the route only
 * sends them.
 */
export type PipedriveDeps = Pick<
  HttpDeps,
  'db' | 'access' | 'identity' | 'events' | 'now' | 'publicUrl' | 'enqueueOutbound' | 'outbound'
>;

/** The query Pipedrive sends to a panel's or a modal's endpoint (strings, as in the URL). */
export interface PipedriveQuery {
  resource?: string | undefined;
  view?: string | undefined;
  userId?: string | undefined;
  companyId?: string | undefined;
  selectedIds?: string | undefined;
  isShared?: string | undefined;
  token?: string | undefined;
}

export interface PipedriveRequest {
  integrationId: string;
  query: PipedriveQuery;
  authorization: string | undefined;
}

export interface PipedriveAnswer {
  status: number;
  body: unknown;
}

export interface PipedriveExtension {
  panel(request: PipedriveRequest): Promise<PipedriveAnswer>;
  modalOpen(request: PipedriveRequest): Promise<PipedriveAnswer>;
  modalSubmit(request: PipedriveRequest, form: unknown): Promise<PipedriveAnswer>;
}

interface Acting {
  integration: PipedriveIntegration;
  principal: Principal;
}

/** Why a request was refused, in words for the Pipedrive user. */
class Refused extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly subtitle: string,
  ) {
    super(title);
  }
}

export function pipedriveExtension(
  deps: PipedriveDeps,
  options: Partial<PipedriveApiOptions> & {
    log?: { warn(o: object, m: string): void; error(o: object, m: string): void };
  } = {},
): PipedriveExtension {
  const integrations: Pick<IntegrationsStore, 'find' | 'memberOfCrmUser'> = integrationsStore(
    deps.db,
  );
  const cache = peopleCache();
  const contactChats = {
    access: deps.access,
    chats: contactChatsSource(deps.db),
    reads: chatReads(deps.db),
  };
  const channels = { store: channelsStore(deps.db) };
  const replies = replyDeps(deps);
  const apiOptions: PipedriveApiOptions = {
    ...options,
    fetch: options.fetch ?? deps.outbound.fetch,
    onError:
      options.onError ??
      ((error, where) =>
        options.log?.warn({ err: error, ...where }, 'Pipedrive API look-up failed')),
  };

  /** The member the request acts as, or a refusal Pipedrive can show. */
  async function acting(request: PipedriveRequest): Promise<Acting> {
    const found = await integrations.find(request.integrationId);
    const integration = found?.type === 'pipedrive' ? found : undefined;
    const notSigned = new Refused(
      401,
      'Not authorized',
      'This request is not signed for this Switchboard integration. Check the JWT secret and the HTTP Auth credentials in Developer Hub.',
    );
    if (!integration) throw notSigned;
    let caller;
    try {
      caller = await authenticatePipedrive(integration, {
        query: request.query,
        authorization: request.authorization,
        now: deps.now(),
      });
    } catch (error) {
      if (error instanceof AppError && error.code === 'unauthorized') throw notSigned;
      throw error;
    }
    if (caller.companyId !== integration.companyId) {
      throw new Refused(
        403,
        'Wrong Pipedrive company',
        'This Switchboard integration answers another Pipedrive company.',
      );
    }
    const notMember = new Refused(
      403,
      'Not connected to Switchboard',
      'Your Pipedrive user is not mapped to an active Switchboard member. Ask a Switchboard admin to map it (PUT /v1/workspaces/:ws/integrations/:id/users/:pipedriveUserId).',
    );
    const userId = await integrations.memberOfCrmUser(integration.id, caller.userId);
    if (!userId) throw notMember;
    try {
      const { principal } = await resolvePanelMember(deps, integration.workspaceId, { userId });
      return { integration, principal };
    } catch (error) {
      if (error instanceof AppError && error.code === 'forbidden') throw notMember;
      throw error;
    }
  }

  /** The contact's chats the member may see, newest first, presented (redacted) for them. */
  async function panelChats({ integration, principal }: Acting, query: PipedriveQuery) {
    const workspaceId = integration.workspaceId;
    const contacts = await pipedriveContacts(
      { people: pipedrivePeople(integration, cache, apiOptions) },
      {
        integrationId: integration.id,
        resource: query.resource ?? '',
        selectedIds: (query.selectedIds ?? '')
          .split(',')
          .map((id) => id.trim())
          .filter((id) => /^\d{1,20}$/.test(id)),
      },
    );
    if (contacts.length === 0) return [];
    const summaries = await listContactChats(contactChats, {
      actor: principal,
      workspaceId,
      contacts,
      limit: PANEL_MAX_OBJECTS,
    });
    if (summaries.length === 0) return [];
    const visibleChannels = await listChannels(channels, { actor: principal, workspaceId });
    const channelNames = new Map(visibleChannels.map((c) => [c.id, c.name]));
    const { items } = presentChatPage(principal, { items: summaries, nextCursor: null });
    return items.map((chat): PanelChat => ({
      chat,
      channelName: channelNames.get(chat.channelId),
      assigneeName: chat.assignee ? principal.names.get(chat.assignee.id) : undefined,
      url: chatUrl(chat.id),
    }));
  }

  /**
   * Where "Open chat" takes a Pipedrive user: the chat in the web inbox (`#/chats/:id`), which
   * asks them to sign in first and then opens it — not the bearer-token JSON API, which would
   * answer a browser with a 401.
   */
  const chatUrl = (chatId: string) => `${deps.publicUrl}/#/chats/${encodeURIComponent(chatId)}`;

  /** Runs `work`; a refusal or a failure becomes Pipedrive's error shape for `kind`. */
  async function answer(
    kind: 'panel' | 'modal',
    work: () => Promise<PipedriveAnswer>,
  ): Promise<PipedriveAnswer> {
    try {
      return await work();
    } catch (error) {
      const shape = (status: number, title: string, subtitle: string): PipedriveAnswer => ({
        status,
        body:
          kind === 'panel'
            ? pipedrivePanelError(title, subtitle)
            : pipedriveModalError(`${title}: ${subtitle}`),
      });
      if (error instanceof Refused) return shape(error.status, error.title, error.subtitle);
      if (error instanceof AppError && error.code === 'unavailable') {
        return shape(503, 'Switchboard is unavailable', 'Please try again in a moment.');
      }
      // A bug: logged in full; Pipedrive shows its user a message, never the details.
      options.log?.error({ err: error }, `Pipedrive ${kind} request failed`);
      return shape(500, 'Something went wrong', 'Switchboard could not answer. Please try again.');
    }
  }

  return {
    panel: (request) =>
      answer('panel', async () => {
        const who = await acting(request);
        const chats = await panelChats(who, request.query);
        return { status: 200, body: pipedrivePanel(chats, who.principal.userId) };
      }),

    modalOpen: (request) =>
      answer('modal', async () => {
        const who = await acting(request);
        const chats = await panelChats(who, request.query);
        return {
          status: 200,
          body: pipedriveModalOpen(
            chats.map((c) => ({ chatId: c.chat.id, label: modalChoiceLabel(c) })),
          ),
        };
      }),

    modalSubmit: (request, form) =>
      answer('modal', async () => {
        const who = await acting(request);
        const values =
          typeof form === 'object' && form !== null ? (form as Record<string, unknown>) : {};
        const chatId = values[modalBlocks.chat];
        const text = values[modalBlocks.message];
        if (typeof chatId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(chatId)) {
          return {
            status: 422,
            body: pipedriveModalInputError(modalBlocks.chat, 'Choose a conversation.'),
          };
        }
        if (typeof text !== 'string' || !text.trim() || text.length > 4096) {
          return {
            status: 422,
            body: pipedriveModalInputError(
              modalBlocks.message,
              'Write a message of at most 4,096 characters.',
            ),
          };
        }
        try {
          const stored = await replyToChat(replies, {
            principal: who.principal,
            chatId,
            text: text.trim(),
          });
          return {
            status: 200,
            body: pipedriveModalSuccess('Reply sent', {
              label: 'Open chat',
              value: chatUrl(stored.chatId),
            }),
          };
        } catch (error) {
          if (error instanceof AppError && error.code === 'forbidden') {
            throw new Refused(403, 'Not allowed', error.message);
          }
          if (error instanceof AppError && error.code === 'not_found') {
            throw new Refused(404, 'Not found', 'There is no such conversation that you may see.');
          }
          throw error;
        }
      }),
  };
}
