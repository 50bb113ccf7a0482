import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one server (prom-client). Each server has a registry of its own, not
 * prom-client's global one, so several servers can run in one process (tests). Code that
 * counts something gets only the recorder method it needs (a callback or small port it
 * defines); gauges of things that live elsewhere — queue depths, open event streams, WhatsApp
 * accounts — are read when Prometheus scrapes, from the sources given to `readFrom`.
 */
export type JobOutcome = 'completed' | 'failed' | 'delayed';
export type WebhookOutcome = 'succeeded' | 'failed' | 'dead';
export type IngestOutcome = 'stored' | 'duplicate' | 'failed';

/** What the gauges read at scrape time. */
export interface ScrapeSources {
  /** Jobs per queue, per BullMQ state (`waiting`, `active`, `delayed`, `failed`…). */
  queueDepths?: () => Promise<ReadonlyMap<string, Readonly<Record<string, number>>>>;
  /** Event streams (SSE) open on this process. */
  openStreams?: () => number;
  /** WhatsApp accounts per status, across all nodes (the database's view). */
  whatsappAccounts?: () => Promise<Readonly<Record<string, number>>>;
}

export interface Metrics {
  readonly registry: Registry;
  httpRequest(method: string, route: string, statusCode: number, seconds: number): void;
  ingestBatch(outcomes: Readonly<Partial<Record<IngestOutcome, number>>>): void;
  ingestFailed(messages: number): void;
  jobFinished(job: string, outcome: JobOutcome, seconds: number): void;
  webhookDelivery(outcome: WebhookOutcome): void;
  readFrom(sources: ScrapeSources): void;
  /** The exposition text and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsOptions {
  /** prom-client's process and Node.js metrics (`process_*`, `nodejs_*`); on by default. */
  defaultMetrics?: boolean;
  /** A scrape-time source failed or took longer than `sourceTimeoutMs`: its gauge is left empty. */
  onSourceError?: (source: string, error: unknown) => void;
  sourceTimeoutMs?: number;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  let sources: ScrapeSources = {};
  const timeoutMs = options.sourceTimeoutMs ?? 2_000;
  /** A source's answer, or undefined when it failed or hung (a scrape must not wait forever). */
  const read = async <T>(name: string, source: (() => Promise<T>) | undefined) => {
    if (!source) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        source(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      options.onSourceError?.(name, error);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };

  const httpDuration = new Histogram({
    name: 'switchboard_http_request_duration_seconds',
    help: 'HTTP requests by method, route template (unmatched: "unmatched") and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const ingestBatches = new Counter({
    name: 'switchboard_ingest_batches_total',
    help: 'Batches of inbound messages committed by the ingest pipeline',
    registers,
  });
  const ingestMessages = new Counter({
    name: 'switchboard_ingest_messages_total',
    help: 'Inbound messages by outcome: stored, duplicate (stored before) or failed',
    labelNames: ['outcome'] as const,
    registers,
  });
  const jobDuration = new Histogram({
    name: 'switchboard_job_duration_seconds',
    help: 'Background job runs by job and outcome (completed, failed, delayed behind other work)',
    labelNames: ['job', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  const webhookDeliveries = new Counter({
    name: 'switchboard_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: succeeded, failed (retried) or dead (out of tries)',
    labelNames: ['outcome'] as const,
    registers,
  });
  new Gauge({
    name: 'switchboard_queue_jobs',
    help: 'Jobs in each queue this process uses, by BullMQ state',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      const depths = await read('queue depths', sources.queueDepths);
      this.reset();
      for (const [queue, counts] of depths ?? [])
        for (const [state, count] of Object.entries(counts)) this.set({ queue, state }, count);
    },
  });
  new Gauge({
    name: 'switchboard_event_streams_open',
    help: 'Live event streams (server-sent events) open on this process',
    registers,
    collect() {
      if (sources.openStreams) this.set(sources.openStreams());
    },
  });
  new Gauge({
    name: 'switchboard_whatsapp_accounts',
    help: 'WhatsApp accounts by status (all nodes)',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const counts = await read('WhatsApp accounts', sources.whatsappAccounts);
      this.reset();
      for (const [status, count] of Object.entries(counts ?? {})) this.set({ status }, count);
    },
  });

  return {
    registry,
    httpRequest(method, route, statusCode, seconds) {
      httpDuration.observe({ method, route, status_code: statusCode }, seconds);
    },
    ingestBatch(outcomes) {
      ingestBatches.inc();
      for (const [outcome, count] of Object.entries(outcomes))
        ingestMessages.inc({ outcome }, count);
    },
    ingestFailed(messages) {
      ingestMessages.inc({ outcome: 'failed' }, messages);
    },
    jobFinished(job, outcome, seconds) {
      jobDuration.observe({ job, outcome }, seconds);
    },
    webhookDelivery(outcome) {
      webhookDeliveries.inc({ outcome });
    },
    readFrom(given) {
      sources = { ...sources, ...given };
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
