import { z } from 'zod';
import { normalizePhone } from '../contacts/phone.js';
import { routingPatternProblem } from './safe-regex.js';

/**
 * Routing rules (PRODUCT.md §4) as the API accepts them and as they are stored. A rule is
 * tried in order; it matches a new chat when every condition holds (no conditions: every
 * chat), and then sends the chat to its target — a team, whose eligible members a strategy
 * picks from, or one user.
 */

/** Limits keep rules cheap to evaluate on every new chat and readable in an explanation. */
export const ROUTING_LIMITS = {
  nameLength: 100,
  conditions: 20,
  channelIds: 100,
  valueLength: 200,
  keywordLength: 100,
  fieldKeyLength: 64,
} as const;

const idSchema = z.string().min(1).max(100);

/** A contact attribute a condition reads: a built-in one or a custom field (`fields.<key>`). */
export const contactFieldSchema = z.union([
  z.enum(['name', 'phone', 'email']),
  z.templateLiteral(['fields.', z.string().min(1).max(ROUTING_LIMITS.fieldKeyLength)]),
]);
export type ContactField = z.infer<typeof contactFieldSchema>;

const conditionValue = z.string().trim().min(1).max(ROUTING_LIMITS.valueLength);

/** The chat came in on one of these channel accounts. */
const channelCondition = z
  .object({
    kind: z.literal('channel'),
    channelIds: z.array(idSchema).min(1).max(ROUTING_LIMITS.channelIds),
  })
  .strict();

/**
 * A contact field equals / contains a value (case-insensitive; phone numbers compare by the
 * digits of their E.164 form, so "0049 170 1234" equals "+491701234"), or is set at all. A
 * phone to equal must be one `normalizePhone` accepts (a national "0170 1234" would match no
 * stored number, which are all international); one to contain may be any fragment.
 */
const contactFieldCondition = z.discriminatedUnion('op', [
  z
    .object({
      kind: z.literal('contact_field'),
      field: contactFieldSchema,
      op: z.enum(['equals', 'contains']),
      value: conditionValue,
    })
    .strict()
    .superRefine((c, ctx) => {
      if (c.field !== 'phone' || c.op !== 'equals') return;
      const phone = normalizePhone(c.value);
      if (!phone.ok) ctx.addIssue({ code: 'custom', path: ['value'], message: phone.message });
    }),
  z
    .object({
      kind: z.literal('contact_field'),
      field: contactFieldSchema,
      op: z.literal('is_set'),
    })
    .strict(),
]);

/** The first message contains this word or phrase: case-insensitive, whole words only. */
const keywordCondition = z
  .object({
    kind: z.literal('keyword'),
    keyword: z.string().trim().min(1).max(ROUTING_LIMITS.keywordLength),
  })
  .strict();

/** The first message matches an admin's regex, refused at creation unless it is safe to run. */
const regexCondition = z
  .object({
    kind: z.literal('regex'),
    pattern: z
      .string()
      .min(1)
      .superRefine((pattern, ctx) => {
        const problem = routingPatternProblem(pattern);
        if (problem) ctx.addIssue({ code: 'custom', message: `the pattern ${problem}` });
      }),
    caseSensitive: z.boolean().default(false),
  })
  .strict();

export const routingConditionSchema = z.discriminatedUnion('kind', [
  channelCondition,
  contactFieldCondition,
  keywordCondition,
  regexCondition,
]);
export type RoutingCondition = z.output<typeof routingConditionSchema>;

/** Where a matching chat goes: a team (its members and its sub-teams' members) or one user. */
export const routingTargetSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('team'), teamId: idSchema }).strict(),
  z.object({ type: z.literal('user'), userId: idSchema }).strict(),
]);
export type RoutingTarget = z.output<typeof routingTargetSchema>;

/**
 * How a team target picks one member: in turn (`round_robin`), the one with the fewest open
 * chats under their capacity (`least_open`), or the contact's last assignee (`sticky`). A user
 * target needs no strategy; its strategy is kept but not used.
 */
export const routingStrategies = ['round_robin', 'least_open', 'sticky'] as const;
export type RoutingStrategy = (typeof routingStrategies)[number];
export const routingStrategySchema = z.enum(routingStrategies);

/** What `sticky` does when the last assignee is not eligible. */
export const stickyFallbackSchema = z.enum(['least_open', 'round_robin']);
export type StickyFallback = z.output<typeof stickyFallbackSchema>;

/** A rule as the API accepts it (create, or replace). */
export const routingRuleInputSchema = z
  .object({
    name: z.string().trim().min(1).max(ROUTING_LIMITS.nameLength),
    enabled: z.boolean().default(true),
    conditions: z.array(routingConditionSchema).max(ROUTING_LIMITS.conditions).default([]),
    target: routingTargetSchema,
    strategy: routingStrategySchema.default('round_robin'),
    stickyFallback: stickyFallbackSchema.default('least_open'),
  })
  .strict();
/** What a client sends; defaults not yet applied. */
export type RoutingRuleInput = z.input<typeof routingRuleInputSchema>;
/** A validated rule, defaults applied. */
export type RoutingRuleSpec = z.output<typeof routingRuleInputSchema>;

/** A stored rule: rules are tried by ascending `position`, then `id`. */
export const routingRuleSchema = routingRuleInputSchema.extend({
  id: idSchema,
  position: z.number().int().min(0),
});
export type RoutingRule = z.output<typeof routingRuleSchema>;
