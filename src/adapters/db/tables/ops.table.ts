import type { ColumnType } from 'kysely';
import type { OutboxTopic } from '../outbox-topics.js';
import type { CreatedAt, Generated, Json, JsonWithDefault, Timestamp } from './common.js';

/** Outbound webhook subscriptions (CRM panels, automations). */
export interface WebhooksTable {
  id: string;
  workspace_id: string;
  url: string;
  events: string[];
  secret: string;
  status: Generated<'active' | 'disabled'>;
  created_by: string | null;
  /** The member the subscription acts as (migration 0016); null: its creator. */
  as_user_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'dead';

export interface WebhookDeliveriesTable {
  id: string;
  workspace_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  /** Ordering key: deliveries of one chat go out in order. */
  chat_id: string | null;
  payload: Json<Record<string, unknown>>;
  status: Generated<DeliveryStatus>;
  attempts: Generated<number>;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Timestamp | null;
  delivered_at: Timestamp | null;
  created_at: CreatedAt;
}

export type JobState = 'waiting' | 'active' | 'completed' | 'failed';

/**
 * Durable record of a background job (revoke, team hand-back, bulk reassign):
 * its owner workspace for tenancy checks, and progress that survives a worker
 * crash so the next worker resumes where the last one stopped.
 */
export interface JobsTable {
  id: string;
  workspace_id: string;
  type: string;
  state: Generated<JobState>;
  input: JsonWithDefault<Record<string, unknown>>;
  progress_done: Generated<number>;
  progress_total: Generated<number>;
  /** Keyset position of the last finished batch. */
  checkpoint: Json<Record<string, unknown>> | null;
  result: Json<Record<string, unknown>> | null;
  error: string | null;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

/**
 * Transactional outbox: a row written in the same transaction as the change
 * that makes a job or event necessary, published to the queue after commit.
 */
export interface OutboxTable {
  id: ColumnType<string, never, never>;
  workspace_id: string | null;
  /** Written only from the closed list (`outbox-topics.ts`); read as text, as it may hold anything. */
  topic: ColumnType<string, OutboxTopic, OutboxTopic>;
  payload: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  published_at: Timestamp | null;
}
