import { parsePhoneNumberWithError, validatePhoneNumberLength } from 'libphonenumber-js/min';
import { z } from 'zod';

/**
 * Phone numbers, the one place they are read (issue 17): every input that takes a phone — the
 * inbound webhook, WhatsApp ids and contact lookups, excluded contacts, routing conditions, the
 * inbound retry queue — turns it into E.164 with its '+' (`+4930123456`) here, and that is the
 * form stored and shown everywhere. The same number written any usual way is the same string,
 * so it finds the same contact:
 *
 * - `+49 30 123456`, `+49 (30) 123-456`, `+49 (0)30 123456`: international, separators
 *   (spaces, dashes, dots, slashes, brackets) dropped, a trunk `(0)` after the code dropped;
 * - `0049 30 123456`: `00` is the international prefix;
 * - `4930123456`: bare digits are international, as WhatsApp and most providers send them;
 * - `4930123456@c.us` (or `@s.whatsapp.net`, with a device suffix or not): the number in a
 *   WhatsApp user id. A `@lid` id hides the number and is not one.
 *
 * A number that cannot be made international is refused, never stored half-understood: a
 * national number (`030 123456`: which country?), letters or an extension, a country calling
 * code that does not exist, a length no number of that country has, more than E.164's 15
 * digits.
 *
 * The check is libphonenumber's "possible number" (country calling code, and a length that
 * country's numbers have), from its small `min` metadata. It does not ask whether the number
 * is assigned in the country's numbering plan ("valid"): providers and test data send numbers
 * the plan does not know yet, and a message must not be lost for that.
 */

/** E.164: '+', a country calling code (never starting with 0), at most 15 digits in all. */
export type E164Phone = `+${string}`;

export type PhoneProblem =
  | 'not_a_number'
  | 'national_number'
  | 'unknown_country_code'
  | 'too_short'
  | 'too_long'
  | 'impossible_length';

export type PhoneResult =
  { ok: true; phone: E164Phone } | { ok: false; problem: PhoneProblem; message: string };

/** Longer input is not a phone number however it is spaced. */
export const MAX_PHONE_INPUT_LENGTH = 40;
const E164_MAX_DIGITS = 15;
const SEPARATORS = /[\s().\-/]/g;
/** A WhatsApp user id: the number's digits, a device, the server (redact.ts knows them too). */
const WHATSAPP_USER_ID = /^\s*([0-9]+)(?::[0-9]{1,3})?@(?:c\.us|s\.whatsapp\.net)\s*$/i;

export function normalizePhone(input: string): PhoneResult {
  if (input.length > MAX_PHONE_INPUT_LENGTH) {
    return refuse('too_long', `is longer than ${MAX_PHONE_INPUT_LENGTH} characters`);
  }
  const compact = (WHATSAPP_USER_ID.exec(input)?.[1] ?? input).replace(SEPARATORS, '');
  if (!/^\+?[0-9]+$/.test(compact)) {
    return refuse(
      'not_a_number',
      'must be a phone number: digits with a leading + or 00 and the country code; spaces, dashes, dots, slashes and brackets may separate them',
    );
  }
  let international: string;
  if (compact.startsWith('+')) international = compact.slice(1);
  else if (compact.startsWith('00')) international = compact.slice(2);
  else if (compact.startsWith('0')) {
    return refuse(
      'national_number',
      'is a national number (it starts with a single 0): write it with its country code, e.g. +49 30 123456 or 0049 30 123456',
    );
  } else international = compact;

  const candidate = `+${international}`;
  const lengthProblem = validatePhoneNumberLength(candidate);
  if (lengthProblem === 'INVALID_COUNTRY' || international.startsWith('0')) {
    return refuse(
      'unknown_country_code',
      'does not start with a known country calling code (after the + or 00)',
    );
  }
  if (lengthProblem === 'NOT_A_NUMBER') return refuse('not_a_number', 'is not a phone number');
  if (lengthProblem) {
    const of = countryOf(candidate);
    if (lengthProblem === 'TOO_SHORT') return refuse('too_short', `is too short${of}`);
    if (lengthProblem === 'TOO_LONG') return refuse('too_long', `is too long${of}`);
    return refuse('impossible_length', `has a length no phone number${of} has`);
  }
  // Possible, so it parses; `number` is E.164 (a trunk 0 after the country code dropped).
  const phone = parsePhoneNumberWithError(candidate).number as E164Phone;
  if (phone.length - 1 > E164_MAX_DIGITS) {
    return refuse('too_long', `has more than the ${E164_MAX_DIGITS} digits E.164 allows`);
  }
  return { ok: true, phone };
}

/** `" for country code +49"` when the code is known, else nothing. */
function countryOf(candidate: string): string {
  try {
    return ` for country code +${parsePhoneNumberWithError(candidate).countryCallingCode}`;
  } catch {
    return '';
  }
}

function refuse(problem: PhoneProblem, message: string): PhoneResult {
  return { ok: false, problem, message };
}

/** A phone number as inputs take it: any usual spelling in, E.164 out, or an issue saying why. */
export const phoneSchema = z.string().transform((value, ctx): E164Phone => {
  const result = normalizePhone(value);
  if (result.ok) return result.phone;
  ctx.addIssue({ code: 'custom', message: result.message });
  return z.NEVER;
});

/** E.164, or null for a number that cannot be made international (nothing half-understood). */
export function phoneOrNull(value: string | null | undefined): E164Phone | null {
  if (typeof value !== 'string') return null;
  const result = normalizePhone(value);
  return result.ok ? result.phone : null;
}

/**
 * The digits two phone numbers are compared by (routing conditions): those of the E.164 form
 * when the value can be made international, so `0049 30 123456` equals `+49 30 123456`; else
 * the value's own digits, an international `+`/`00` prefix dropped, so a fragment such as
 * `170` or `+49 170` is still found inside a number.
 */
export function phoneDigits(value: string): string {
  const result = normalizePhone(value);
  if (result.ok) return result.phone.slice(1);
  const compact = value.replace(SEPARATORS, '');
  const digits = compact.replace(/\D/g, '');
  return !compact.startsWith('+') && digits.startsWith('00') ? digits.slice(2) : digits;
}
