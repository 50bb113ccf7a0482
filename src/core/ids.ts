import { randomFillSync } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case
const ID_BYTES = 20;

// Random bytes are drawn 4 kB at a time: one call to the CSPRNG per ~200 ids instead of one
// per id (an ingest batch makes three ids per message).
const pool = Buffer.alloc(4096);
let offset = pool.length;

/**
 * Opaque, unguessable identifiers such as `chat_7m3k…`. The prefix makes logs
 * and support tickets readable; 100 random bits make ids unguessable, so an id
 * seen in one workspace tells nothing about another.
 */
export function newId(prefix: string): string {
  if (offset + ID_BYTES > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  let out = '';
  for (let i = offset; i < offset + ID_BYTES; i++) out += alphabet[(pool[i] ?? 0) & 31];
  offset += ID_BYTES;
  return `${prefix}_${out}`;
}
