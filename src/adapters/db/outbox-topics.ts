/**
 * Every topic an outbox row may carry: a closed list, so a writer cannot invent one the relay
 * does not know (the table's `topic` column accepts only these on insert), and the relay
 * (`jobs/background.ts`) maps each to its queue job exhaustively. A row whose topic is not
 * here (written by another version, or by hand) is an error the relay reports; it is never
 * marked published unseen.
 */

/** The background jobs recorded with a durable `jobs` row (`recordJob`); topic `job.<type>`. */
export const jobTypes = [
  'member.revoke',
  'member.reassign',
  'team.suspend',
  'team.delete',
] as const;
export type JobType = (typeof jobTypes)[number];

/** The outbox topic of a reply to deliver (payload `{messageId}`); the relay queues its job. */
export const DELIVER_REPLY_TOPIC = 'message.deliver';

export const outboxTopics = [
  'job.member.revoke',
  'job.member.reassign',
  'job.team.suspend',
  'job.team.delete',
  DELIVER_REPLY_TOPIC,
] as const satisfies ReadonlyArray<`job.${JobType}` | typeof DELIVER_REPLY_TOPIC>;
export type OutboxTopic = (typeof outboxTopics)[number];

/** The topic of a job type's outbox row. */
export const jobTopic = (type: JobType) => `job.${type}` as const;

export const isOutboxTopic = (topic: string): topic is OutboxTopic =>
  (outboxTopics as readonly string[]).includes(topic);
