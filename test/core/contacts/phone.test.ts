import { describe, expect, it } from 'vitest';
import {
  normalizePhone,
  phoneDigits,
  phoneOrNull,
  phoneSchema,
} from '../../../src/core/contacts/phone.js';

/** Issue 17: a phone number is stored and shown as E.164 with its '+', however it came in. */
describe('normalizePhone', () => {
  it.each([
    '+4930123456',
    '+49 30 123456',
    '+49 (30) 123-456',
    '+49.30.123456',
    '+49 30/123456',
    '(+49) 30 123456',
    '0049 30 123456',
    '0049-30-123456',
    '4930123456',
    '  +49 30 123456  ',
    '+49\u00a030\u00a0123456',
    // A trunk 0 written after the country code is not part of the number.
    '+49 (0)30 123456',
    '0049 (0) 30 123456',
    // The number in a WhatsApp user id, as whatsapp-web.js names a contact.
    '4930123456@c.us',
    '4930123456@s.whatsapp.net',
    '4930123456:12@c.us',
  ])('rule: %j is the same number, +4930123456', (spelling) => {
    expect(normalizePhone(spelling)).toEqual({ ok: true, phone: '+4930123456' });
  });

  it('rule: bare digits are international, as providers send them', () => {
    expect(normalizePhone('12025550123')).toEqual({ ok: true, phone: '+12025550123' });
    expect(normalizePhone('442079460000')).toEqual({ ok: true, phone: '+442079460000' });
    expect(normalizePhone('4915112345678')).toEqual({ ok: true, phone: '+4915112345678' });
  });

  it('rule: a number need only be possible for its country, not assigned in its numbering plan', () => {
    // Test data and real providers send numbers libphonenumber would not call "valid".
    expect(normalizePhone('+4915155500000')).toEqual({ ok: true, phone: '+4915155500000' });
    expect(normalizePhone('+4930000001')).toEqual({ ok: true, phone: '+4930000001' });
    // Non-geographic calling codes too (+800 international freephone).
    expect(normalizePhone('+800 1234 5678')).toEqual({ ok: true, phone: '+80012345678' });
  });

  it.each([
    ['030 123456', 'national_number', /national number .*country code/],
    ['0151 12345678', 'national_number', /national number/],
    ['+49 30 ABC', 'not_a_number', /must be a phone number/],
    ['+49 30 123456 ext. 5', 'not_a_number', /must be a phone number/],
    ['4930123456@lid', 'not_a_number', /must be a phone number/],
    ['120363025246125486@g.us', 'not_a_number', /must be a phone number/],
    ['030123456@c.us', 'national_number', /national number/],
    ['49+30123456', 'not_a_number', /must be a phone number/],
    ['', 'not_a_number', /must be a phone number/],
    ['+', 'not_a_number', /must be a phone number/],
    ['+999 123456', 'unknown_country_code', /known country calling code/],
    ['+0 30 123456', 'unknown_country_code', /known country calling code/],
    ['000 49 30 123456', 'unknown_country_code', /known country calling code/],
    ['+49 12', 'too_short', /too short for country code \+49/],
    ['+33 1234', 'too_short', /too short for country code \+33/],
    ['+49 301 234 567 890 123', 'too_long', /more than the 15 digits/],
    ['+1 202 555 0123 4567 8901', 'too_long', /too long/],
    [`+49 30 ${'1'.repeat(40)}`, 'too_long', /longer than 40 characters/],
  ])('refuses %j (%s), saying why', (input, problem, message) => {
    const result = normalizePhone(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problem).toBe(problem);
    expect(result.message).toMatch(message);
  });
});

describe('phoneSchema (what inputs use)', () => {
  it('turns any spelling into E.164, or fails with the reason as the issue', () => {
    expect(phoneSchema.parse('0049 30 123456')).toBe('+4930123456');
    const failed = phoneSchema.safeParse('030 123456');
    expect(failed.success).toBe(false);
    expect(failed.error?.issues.map((i) => i.message)).toEqual([
      expect.stringContaining('is a national number'),
    ]);
  });
});

describe('phoneOrNull', () => {
  it('is the E.164 number, or null for anything that cannot be made international', () => {
    expect(phoneOrNull('4930123456')).toBe('+4930123456');
    expect(phoneOrNull('030 123456')).toBeNull();
    expect(phoneOrNull(null)).toBeNull();
    expect(phoneOrNull(undefined)).toBeNull();
  });
});

describe('phoneDigits (routing comparisons)', () => {
  it('whole numbers compare by their E.164 digits; fragments by their own, without a + or 00 prefix', () => {
    expect(phoneDigits('0049 (30) 123-456')).toBe('4930123456');
    expect(phoneDigits('+49 (0)30 123456')).toBe('4930123456');
    expect(phoneDigits('170')).toBe('170');
    expect(phoneDigits('+49 170')).toBe('49170');
    expect(phoneDigits('0049 170')).toBe('49170');
    expect(phoneDigits('0170')).toBe('0170');
  });
});
