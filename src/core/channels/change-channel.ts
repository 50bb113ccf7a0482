import { requireChannelAction, requireVisibleChannel, type Principal } from '../access/index.js';
import { AppError, isAppError } from '../errors.js';
import type {
  ChannelRecord,
  ChannelsStore,
  WhatsappAccounts,
  WhatsappSettingsRules,
} from './channels-store.js';

/**
 * Changes a WhatsApp account's personal-chat protection (issue 6): group chats on or off, the
 * contacts whose chats are never ingested. Only what is given changes; the other stored keys
 * are kept, and the result is validated and normalized as a whole. Needs channel.edit over
 * the account; decided on its locked row. Not found for an account the actor may not see;
 * `invalid_input` for a webhook channel, which has no such settings.
 */
export interface ChangeChannelInput {
  actor: Principal;
  workspaceId: string;
  channelId: string;
  settings: { groups?: boolean | undefined; excludedContacts?: string[] | undefined };
}

export interface ChangeChannelDeps {
  store: ChannelsStore;
  whatsapp?: WhatsappAccounts | undefined;
  whatsappSettings: Pick<WhatsappSettingsRules, 'normalize'>;
  now(): Date;
}

export async function changeChannel(
  deps: ChangeChannelDeps,
  input: ChangeChannelInput,
): Promise<ChannelRecord> {
  const { actor, workspaceId, channelId, settings: given } = input;
  const updated = await deps.store.transaction(async (tx) => {
    const channel = requireVisibleChannel(actor, await tx.lockChannel(workspaceId, channelId));
    if (channel.type !== 'whatsapp')
      throw new AppError('invalid_input', 'only a WhatsApp account has these settings', {
        details: [{ path: 'body.settings', message: 'not a WhatsApp account' }],
      });
    requireChannelAction(actor, 'channel.edit', channel);
    const before = storedSettings(deps, channel.settings);
    const after = givenSettings(deps, {
      ...channel.settings,
      ...(given.groups === undefined ? {} : { groups: given.groups }),
      ...(given.excludedContacts === undefined ? {} : { excludedContacts: given.excludedContacts }),
    });
    const stored = await tx.setSettings(workspaceId, channelId, after, deps.now());
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'channel.edit',
      targetType: 'channel',
      targetId: channelId,
      before: before && shown(before),
      after: shown(after),
    });
    return stored;
  });
  deps.whatsapp?.accountChanged(channelId);
  return updated;
}

type Settings = ReturnType<WhatsappSettingsRules['normalize']>;

/** What the audit records of the settings: the two this action changes. */
const shown = (s: Settings) => ({ groups: s.groups, excludedContacts: s.excludedContacts });

/** The stored settings, normalized; undefined if they no longer validate (audited as unknown). */
function storedSettings(deps: ChangeChannelDeps, settings: unknown): Settings | undefined {
  try {
    return deps.whatsappSettings.normalize(settings);
  } catch (error) {
    if (isAppError(error)) return undefined;
    throw error;
  }
}

/** The new settings, normalized; `invalid_input` naming each problem under `body.settings`. */
function givenSettings(deps: ChangeChannelDeps, settings: unknown): Settings {
  try {
    return deps.whatsappSettings.normalize(settings);
  } catch (error) {
    if (!isAppError(error)) throw error;
    throw new AppError('invalid_input', 'the settings are not valid', {
      cause: error,
      details: error.details?.map((d) => ({
        path: `body.settings.${d.path}`,
        message: d.message,
      })),
    });
  }
}
