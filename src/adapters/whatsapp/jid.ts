import { phoneOrNull } from '../../core/contacts/phone.js';

/**
 * WhatsApp ids ("jids"): `<user>@<server>`. Only the shapes below are accepted; anything else
 * is malformed and the message carrying it is rejected rather than stored half-understood.
 */
export type JidKind = 'user' | 'lid' | 'group' | 'status' | 'broadcast_list' | 'newsletter';

export interface Jid {
  /** The canonical form: `<user>@<server>`, device suffix dropped, `s.whatsapp.net` → `c.us`. */
  serialized: string;
  user: string;
  kind: JidKind;
  /**
   * The phone number in E.164 (`+4930123456`), for `@c.us` users only (a `@lid` hides the
   * number), and only when the digits make a possible international number.
   */
  phone: string | null;
}

const MAX_JID_LENGTH = 120;
const pattern =
  /^([0-9A-Za-z]+(?:-[0-9]+)?)(?::[0-9]{1,3})?@(c\.us|s\.whatsapp\.net|g\.us|lid|broadcast|newsletter)$/;

export function parseJid(value: unknown): Jid | null {
  const raw =
    typeof value === 'object' && value !== null && '_serialized' in value
      ? value._serialized
      : value;
  if (typeof raw !== 'string' || raw.length > MAX_JID_LENGTH) return null;
  const match = pattern.exec(raw.trim().toLowerCase());
  if (!match) return null;
  const [, user = '', server = ''] = match;
  const digits = /^[0-9]+$/.test(user);
  switch (server) {
    case 'c.us':
    case 's.whatsapp.net':
      return digits && user.length >= 3 && user.length <= 20
        ? { serialized: `${user}@c.us`, user, kind: 'user', phone: phoneOrNull(user) }
        : null;
    case 'lid':
      return digits ? { serialized: `${user}@lid`, user, kind: 'lid', phone: null } : null;
    case 'g.us':
      return /^[0-9]+(-[0-9]+)?$/.test(user)
        ? { serialized: `${user}@g.us`, user, kind: 'group', phone: null }
        : null;
    case 'broadcast':
      if (user === 'status')
        return { serialized: 'status@broadcast', user, kind: 'status', phone: null };
      return digits
        ? { serialized: `${user}@broadcast`, user, kind: 'broadcast_list', phone: null }
        : null;
    case 'newsletter':
      return digits
        ? { serialized: `${user}@newsletter`, user, kind: 'newsletter', phone: null }
        : null;
    default:
      return null;
  }
}

/** A chat we may ingest and reply to: a person (by phone or linked id) or a group. */
export const isConversationJid = (jid: Jid): boolean =>
  jid.kind === 'user' || jid.kind === 'lid' || jid.kind === 'group';
