import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Bearer tokens: 256 random bits, shown once; only their SHA-256 is stored, so a database
 * leak yields no usable token. The prefix says what a token is when one turns up in a log.
 */
export type TokenKind = 'user' | 'invitation';

const prefixes = { user: 'sbu', invitation: 'sbi' } as const satisfies Record<TokenKind, string>;

export function newToken(kind: TokenKind): { token: string; hash: Buffer } {
  const token = `${prefixes[kind]}_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Compares secrets in constant time (the platform token). */
export function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}
