import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * Opaque, unguessable identifiers such as `chat_7m3k…`. The prefix makes logs
 * and support tickets readable; 100 random bits make ids unguessable, so an id
 * seen in one workspace tells nothing about another.
 */
export function newId(prefix: string): string {
  const bytes = randomBytes(20);
  let out = '';
  for (const byte of bytes) out += alphabet[byte & 31];
  return `${prefix}_${out}`;
}
