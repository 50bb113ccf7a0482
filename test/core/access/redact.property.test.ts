import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildPrincipal,
  maskEmail,
  maskPhone,
  redact,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';

/** PRODUCT.md §3.4: "mask phone and email — masked in every output that user receives". */
function principal(mask: boolean) {
  const facts: WorkspaceAccessFacts = {
    workspaceId: 'ws',
    members: [
      {
        userId: 'u',
        name: 'U',
        status: 'active',
        role: 'agent',
        restrictions: { maskContactIdentifiers: mask },
      },
    ],
    teams: [],
    teamMembers: [],
    customRoles: [],
    bindings: [],
  };
  const p = buildPrincipal(facts, 'u');
  if (!p) throw new Error('no principal');
  return p;
}

const masked = principal(true);
const plain = principal(false);

/** The ways a phone number shows up in real payloads. */
function spellings(digits: string): string[] {
  const cc = digits.slice(0, 2);
  const rest = digits.slice(2);
  return [
    digits,
    `+${digits}`,
    `+${cc} ${rest.slice(0, 3)} ${rest.slice(3)}`,
    `+${cc}-${rest.slice(0, 3)}-${rest.slice(3)}`,
    `(${cc}) ${rest}`,
    `${digits}@c.us`,
  ];
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('§3.4 mask phone and email', () => {
  const digitsArb = fc.stringMatching(/^[1-9][0-9]{9,13}$/);
  const emailArb = fc
    .tuple(
      fc.stringMatching(/^[a-z][a-z0-9._]{1,12}$/),
      fc.stringMatching(/^[a-z]{2,10}$/),
      fc.constantFrom('com', 'de', 'co.uk'),
    )
    .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);

  it('leaves no phone (however spelled) and no email in any string field', () => {
    fc.assert(
      fc.property(
        digitsArb,
        emailArb,
        fc.integer({ min: 0, max: 5 }),
        fc.boolean(),
        (digits, email, which, e164) => {
          const spelled = spellings(digits)[which] ?? digits;
          // Stored phones are E.164 with the plus (issue 17); older payloads carried bare digits.
          const phone = e164 ? `+${digits}` : digits;
          const payload = {
            chat: { externalId: `${digits}@c.us`, contact: { name: spelled, phone, email } },
            messages: [
              { text: `call me at ${spelled} or write to ${email.toUpperCase()}` },
              { text: `my colleague is at other.person@example.org` },
            ],
            event: { type: 'chat.assignee_changed', summary: `chat with ${spelled} (${email})` },
          };
          const out = redact(masked, payload);
          for (const s of strings(out)) {
            expect(s.replace(/\D/g, '')).not.toContain(digits);
            expect(s.toLowerCase()).not.toContain(email);
            expect(s).not.toContain('other.person@example.org');
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('masks identifiers the caller names even when the payload has no phone field', () => {
    const out = redact(
      masked,
      { text: 'reach 4915112345678 soon' },
      { phones: ['+49 151 12345678'] },
    );
    expect(out.text).toBe(`reach ${maskPhone('4915112345678')} soon`);
  });

  it('keeps the shape, the last two digits and the top-level domain, so people can still tell contacts apart', () => {
    expect(maskPhone('4915112345678')).toBe('•••••••••••78');
    expect(maskEmail('anna@acme.com')).toBe('a•••@•••.com');
    const out = redact(masked, {
      contact: { phone: '4915112345678', name: 'Anna' },
      at: new Date(0),
      n: 3,
    });
    expect(out).toEqual({
      contact: { phone: '•••••••••••78', name: 'Anna' },
      at: new Date(0),
      n: 3,
    });
  });

  it('masks an E.164 number with its plus exactly as it masked the bare digits (issue 17)', () => {
    expect(maskPhone('+4915112345678')).toBe(maskPhone('4915112345678'));
    const out = redact(masked, {
      contact: { phone: '+4915112345678', name: '+4915112345678' },
      text: 'reach +4915112345678 or 4915112345678 soon',
    });
    expect(out).toEqual({
      contact: { phone: '•••••••••••78', name: '•••••••••••78' },
      text: 'reach •••••••••••78 or •••••••••••78 soon',
    });
  });

  it('changes nothing for a user without the restriction', () => {
    const payload = { contact: { phone: '4915112345678', email: 'anna@acme.com' } };
    expect(redact(plain, payload)).toBe(payload);
  });

  it('does not mask an Owner, whom restrictions never narrow', () => {
    const facts: WorkspaceAccessFacts = {
      workspaceId: 'ws',
      members: [
        {
          userId: 'o',
          name: 'O',
          status: 'active',
          role: 'owner',
          restrictions: { maskContactIdentifiers: true },
        },
      ],
      teams: [],
      teamMembers: [],
      customRoles: [],
      bindings: [],
    };
    const owner = buildPrincipal(facts, 'o');
    expect(owner?.maskContactIdentifiers).toBe(false);
  });
});
