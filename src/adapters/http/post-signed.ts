import { outboundRefusalOf, type OutboundGuard } from './outbound-guard.js';
import { sign } from './signature.js';

/**
 * POSTs a body signed like inbound webhooks, through the outbound guard; a slow or unreachable
 * receiver counts as a failure to retry (599), a 3xx as the answer (redirects are not
 * followed). Rejects with `OutboundRefused` when the policy refuses the destination.
 */
export async function postSigned(
  outbound: Pick<OutboundGuard, 'fetch'>,
  url: string,
  secret: string,
  body: string,
  timeoutMs = 10_000,
): Promise<number> {
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const response = await outbound.fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Switchboard',
        'x-switchboard-timestamp': String(timestamp),
        'x-switchboard-signature': sign(secret, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    await response.body?.cancel();
    return response.status;
  } catch (error) {
    const refused = outboundRefusalOf(error);
    if (refused) throw refused;
    return 599;
  }
}
