import type { Principal } from './principal.js';

/**
 * Masking of contact identifiers (PRODUCT.md §3.4): for a user with
 * `maskContactIdentifiers`, every phone number and email address is masked in every output
 * they receive — API replies, events, Slack, CSV, CRM panels — including identifiers derived
 * from them: WhatsApp ids (`4915112345678@c.us`), names that are just the number, a number
 * quoted in a message. One function, applied at every exit.
 */

export interface RedactContext {
  /** Identifiers known to belong to the payload's contacts, beyond the payload's own fields. */
  phones?: readonly (string | null | undefined)[];
  emails?: readonly (string | null | undefined)[];
}

const MASK = '•';
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** Provider ids that are a phone number: WhatsApp user jids and their legacy forms. */
const PHONE_JID = /\b(\d{5,20})@(?:c\.us|s\.whatsapp\.net|lid)\b/g;
/** Provider id domains, not email addresses (their local part was masked above). */
const PROVIDER_DOMAIN = /@(?:c\.us|g\.us|s\.whatsapp\.net|lid)$/;
/** A string that is nothing but a phone number (a contact named after their number). */
const ONLY_PHONE = /^\s*\+?[\d\s().-]{7,30}\s*$/;

export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 4) return MASK.repeat(digits.length || 4);
  return `${MASK.repeat(digits.length - 2)}${digits.slice(-2)}`;
}

export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1);
  const tld = domain.includes('.') ? domain.slice(domain.lastIndexOf('.')) : '';
  return `${email[0] ?? ''}${MASK.repeat(3)}@${MASK.repeat(3)}${tld}`;
}

/**
 * A pattern matching `digits` however they are written: `+49 151 1234-5678` or
 * `4915112345678`, with separators between any digits.
 */
function phonePattern(digits: string): RegExp {
  return new RegExp(`\\+?${digits.split('').join('[\\s().-]*')}`, 'g');
}

/** Returns the payload (deep-copied) with identifiers masked, or the payload itself if the user sees them. */
export function redact<T>(p: Principal, payload: T, context: RedactContext = {}): T {
  if (!p.maskContactIdentifiers) return payload;
  const phones = new Set<string>();
  const emails = new Set<string>();
  for (const v of context.phones ?? []) if (v) phones.add(v.replace(/\D/g, ''));
  for (const v of context.emails ?? []) if (v) emails.add(v.toLowerCase());
  collect(payload, phones, emails);
  const patterns = [...phones].filter((d) => d.length >= 5).map(phonePattern);
  const maskString = (s: string): string => {
    let out = s.replace(
      PHONE_JID,
      (m, digits: string) => `${maskPhone(digits)}@${m.slice(m.indexOf('@') + 1)}`,
    );
    for (const pattern of patterns) out = out.replace(pattern, (m) => maskPhone(m));
    out = out.replace(EMAIL, (m) => (PROVIDER_DOMAIN.test(m) ? m : maskEmail(m)));
    for (const email of emails) {
      out = out.replace(new RegExp(escape(email), 'gi'), (m) => maskEmail(m));
    }
    if (ONLY_PHONE.test(out) && out.replace(/\D/g, '').length >= 7) out = maskPhone(out);
    return out;
  };
  return walk(payload, maskString) as T;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every `phone`/`email` field in the payload names an identifier to mask everywhere. */
function collect(value: unknown, phones: Set<string>, emails: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collect(v, phones, emails);
  } else if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string' && v) {
        if (/phone/i.test(key)) phones.add(v.replace(/\D/g, ''));
        if (/email/i.test(key)) emails.add(v.toLowerCase());
      } else {
        collect(v, phones, emails);
      }
    }
  }
}

function walk(value: unknown, mask: (s: string) => string): unknown {
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, mask));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, mask)]));
  }
  return value;
}
