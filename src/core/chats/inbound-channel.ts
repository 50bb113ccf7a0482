import { AppError } from '../errors.js';

/**
 * The channel account a signed inbound webhook request names, as far as accepting the
 * request needs it: its workspace, its kind, the secret requests are signed with, and whether
 * it still takes traffic.
 */
export interface InboundChannel {
  id: string;
  workspaceId: string;
  type: 'webhook' | 'whatsapp';
  secret: string | null;
  disabled: boolean;
}

/** Where inbound requests find their channel account. */
export interface InboundChannels {
  /** Undefined: no such channel account (in any workspace). */
  inboundChannel(channelId: string): Promise<InboundChannel | undefined>;
}

/**
 * The channel account, with the secret to verify a signed inbound request with. An unknown
 * channel, one that is not a webhook channel, or one without a secret answers exactly like a
 * bad signature (`unauthorized`): nothing tells a prober which ids exist.
 */
export function requireInboundChannel(
  channel: InboundChannel | undefined,
): InboundChannel & { secret: string } {
  if (!channel || channel.type !== 'webhook' || !channel.secret)
    throw new AppError('unauthorized', 'the signature does not match');
  return { ...channel, secret: channel.secret };
}

/** A verified request to a disabled channel account is refused: the account takes no traffic. */
export function requireTakingTraffic(channel: InboundChannel): void {
  if (channel.disabled) throw new AppError('conflict', 'the channel account is disabled');
}
