import type { ChatFacts } from '../access/index.js';
import { phoneDigits } from '../contacts/phone.js';
import type { ContactField, RoutingCondition, RoutingRuleSpec } from './rules.js';
import { cachedRoutingPattern } from './safe-regex.js';
import { WORD_CHARS } from './word-chars.js';

/** The contact of a new chat, as routing conditions read it. */
export interface ContactFacts {
  name: string;
  phone: string | null;
  email: string | null;
  /** Custom contact fields (`fields.<key>` in a condition). */
  fields: Readonly<Record<string, string>>;
}

/** A new chat as the router sees it: the access engine's facts, its contact, its first text. */
export interface RoutableChat extends ChatFacts {
  contact: ContactFacts;
  firstMessageText: string;
}

/**
 * Keyword and regex conditions read only the start of the first message: routing is decided
 * by what a customer opens with, and a bound on the text is a bound on the work per rule.
 */
export const MAX_TEXT_EXAMINED = 2000;

export interface ConditionOutcome {
  matched: boolean;
  /** Why, in words; never quotes the contact's own phone, email or field values. */
  reason: string;
}

export interface RuleMatch {
  matched: boolean;
  /** Every condition's reason when it matches; the first failing one's when it does not. */
  reasons: string[];
}

/** Does the chat meet every condition of the rule? An empty list matches every chat. */
export function matchRule(
  rule: Pick<RoutingRuleSpec, 'conditions'>,
  chat: RoutableChat,
): RuleMatch {
  if (rule.conditions.length === 0) {
    return { matched: true, reasons: ['it has no conditions, so it matches every chat'] };
  }
  const reasons: string[] = [];
  for (const condition of rule.conditions) {
    const outcome = matchCondition(condition, chat);
    if (!outcome.matched) return { matched: false, reasons: [outcome.reason] };
    reasons.push(outcome.reason);
  }
  return { matched: true, reasons };
}

export function matchCondition(condition: RoutingCondition, chat: RoutableChat): ConditionOutcome {
  switch (condition.kind) {
    case 'channel':
      return matchChannel(condition.channelIds, chat.channelId);
    case 'contact_field':
      return matchContactField(condition, chat.contact);
    case 'keyword':
      return matchKeyword(condition.keyword, chat.firstMessageText);
    case 'regex':
      return matchRegex(condition.pattern, condition.caseSensitive, chat.firstMessageText);
  }
}

function matchChannel(channelIds: readonly string[], channelId: string): ConditionOutcome {
  const listed = channelIds.join(', ');
  return channelIds.includes(channelId)
    ? { matched: true, reason: `it came in on channel account ${channelId} (one of ${listed})` }
    : {
        matched: false,
        reason: `it came in on channel account ${channelId}, not one of ${listed}`,
      };
}

type ContactFieldCondition = Extract<RoutingCondition, { kind: 'contact_field' }>;

function matchContactField(c: ContactFieldCondition, contact: ContactFacts): ConditionOutcome {
  const label = fieldLabel(c.field);
  const actual = contactValue(contact, c.field);
  if (c.op === 'is_set') {
    const set = actual !== null && actual.trim() !== '';
    return { matched: set, reason: `${label} is ${set ? 'set' : 'not set'}` };
  }
  const matched = actual !== null && compareField(c.field, c.op, actual, c.value);
  const verb = c.op === 'equals' ? 'equal' : 'contain';
  return {
    matched,
    reason: `${label} ${matched ? `${verb}s` : `does not ${verb}`} "${c.value}"`,
  };
}

function fieldLabel(field: ContactField): string {
  return field.startsWith('fields.')
    ? `the contact's field "${field.slice('fields.'.length)}"`
    : `the contact's ${field}`;
}

function contactValue(contact: ContactFacts, field: ContactField): string | null {
  if (field === 'name' || field === 'phone' || field === 'email') return contact[field];
  const key = field.slice('fields.'.length);
  return Object.hasOwn(contact.fields, key) ? (contact.fields[key] ?? null) : null;
}

/**
 * Case- and accent-composition-insensitive text; phone numbers by the digits of their E.164
 * form, so `0049 30 123456`, `+49 (30) 123-456` and a stored `+4930123456` are one number.
 */
function compareField(
  field: ContactField,
  op: 'equals' | 'contains',
  actual: string,
  expected: string,
): boolean {
  const byDigits = field === 'phone' && /\d/.test(expected);
  const norm = (s: string) => (byDigits ? phoneDigits(s) : s.normalize('NFC').trim().toLowerCase());
  return op === 'equals' ? norm(actual) === norm(expected) : norm(actual).includes(norm(expected));
}

/** The part of the first message that text conditions read (whole characters, NFC). */
export function examinedText(text: string): string {
  return Array.from(text.slice(0, MAX_TEXT_EXAMINED * 2))
    .slice(0, MAX_TEXT_EXAMINED)
    .join('')
    .normalize('NFC');
}

const escapeRegExp = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

/**
 * A keyword is a whole word or phrase, in any case: "refund" matches "Refund please" but not
 * "refunds"; the spaces of a phrase match any run of white space. The regex built here is a
 * literal between two boundary checks, which cannot backtrack badly.
 */
export function keywordRegExp(keyword: string): RegExp {
  const words = keyword.normalize('NFC').trim().split(/\s+/u).map(escapeRegExp);
  return new RegExp(`(?<![${WORD_CHARS}])${words.join('\\s+')}(?![${WORD_CHARS}])`, 'iu');
}

function matchKeyword(keyword: string, text: string): ConditionOutcome {
  const matched = keywordRegExp(keyword).test(examinedText(text));
  return {
    matched,
    reason: `the first message ${matched ? 'contains' : 'does not contain'} the word "${keyword}"`,
  };
}

function matchRegex(pattern: string, caseSensitive: boolean, text: string): ConditionOutcome {
  const shown = `/${pattern}/${caseSensitive ? '' : 'i'}`;
  // Stored rules were checked at creation; one stored before a stricter guard never matches.
  const compiled = cachedRoutingPattern(pattern, { caseSensitive });
  if (!compiled.ok) {
    return {
      matched: false,
      reason: `the pattern ${shown} ${compiled.problem}, so it never matches`,
    };
  }
  const matched = compiled.pattern.test(examinedText(text));
  return {
    matched,
    reason: `the first message ${matched ? 'matches' : 'does not match'} ${shown}`,
  };
}
