import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../core/errors.js';

/**
 * Switchboard's webhook signature, both ways: `X-Switchboard-Timestamp: <unix s>` and
 * `X-Switchboard-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. A
 * timestamp more than five minutes off is refused, so a captured request cannot be replayed
 * later.
 */
export const MAX_SKEW_SECONDS = 300;

export function sign(secret: string, timestamp: number, rawBody: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

export function verifySignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  now: Date,
): void {
  if (!headers.timestamp || !headers.signature) {
    throw new AppError(
      'unauthorized',
      'missing X-Switchboard-Timestamp or X-Switchboard-Signature',
    );
  }
  if (!/^\d{1,12}$/.test(headers.timestamp))
    throw new AppError('unauthorized', 'malformed X-Switchboard-Timestamp');
  const timestamp = Number(headers.timestamp);
  if (Math.abs(now.getTime() / 1000 - timestamp) > MAX_SKEW_SECONDS) {
    throw new AppError('unauthorized', 'the timestamp is more than 5 minutes off');
  }
  const expected = Buffer.from(sign(secret, timestamp, rawBody));
  // Several signatures may be sent during a secret rotation: any one matching is enough.
  const matches = headers.signature
    .split(',')
    .map((s) => Buffer.from(s.trim()))
    .some((given) => given.length === expected.length && timingSafeEqual(given, expected));
  if (!matches) throw new AppError('unauthorized', 'the signature does not match');
}
