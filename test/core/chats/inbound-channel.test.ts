import { describe, expect, it } from 'vitest';
import {
  requireInboundChannel,
  requireTakingTraffic,
  type InboundChannel,
} from '../../../src/core/chats/inbound-channel.js';
import { isAppError } from '../../../src/core/errors.js';

const webhook: InboundChannel = {
  id: 'ch',
  workspaceId: 'ws',
  type: 'webhook',
  secret: 'sekrit',
  disabled: false,
};

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  return undefined;
};

describe('inbound webhook channels', () => {
  it('an unknown channel, a WhatsApp one, or one without a secret answers exactly like a bad signature', () => {
    const refusals = [
      undefined,
      { ...webhook, type: 'whatsapp' as const },
      { ...webhook, secret: null },
    ].map((c) => codeOf(() => requireInboundChannel(c)));
    expect(new Set(refusals.map((r) => JSON.stringify(r)))).toEqual(
      new Set([JSON.stringify({ code: 'unauthorized', message: 'the signature does not match' })]),
    );
    expect(requireInboundChannel(webhook).secret).toBe('sekrit');
  });

  it('a disabled channel takes no traffic (conflict); an active one does', () => {
    expect(codeOf(() => requireTakingTraffic({ ...webhook, disabled: true }))?.code).toBe(
      'conflict',
    );
    expect(codeOf(() => requireTakingTraffic(webhook))).toBeUndefined();
  });
});
