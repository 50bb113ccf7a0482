import { sign } from './signature.js';

/** POSTs a body signed like inbound webhooks; a slow or unreachable receiver counts as a failure to retry. */
export async function postSigned(
  url: string,
  secret: string,
  body: string,
  timeoutMs = 10_000,
): Promise<number> {
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const response = await fetch(url, {
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
  } catch {
    return 599;
  }
}
