import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { currentLogContext, withLogContext } from '../logging/log-context.js';

/**
 * Bolt's receiver inside Switchboard's own HTTP server (issue 19): fastify reads and verifies
 * the request (`routes/slack.ts`), this hands the parsed body to Bolt and waits for the
 * listener's `ack`, whose payload becomes the HTTP answer. The listener may go on working
 * after acknowledging (the answer then goes through `response_url`); Slack wants the HTTP
 * answer within 3 seconds, so a listener that has not acknowledged by then is answered with
 * an empty 200 (Slack shows nothing) and a warning is logged.
 */
export type SlackAnswer =
  | { status: 200; body: string | Record<string, unknown> | undefined }
  | { status: 500 | 404; body: undefined };

const ACK_TIMEOUT_MS = 2_900;

export class FastifySlackReceiver implements Receiver {
  private bolt: App | undefined;
  /** Work still running after its answer (follow-ups through response_url). */
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly warn: (message: string, error?: unknown) => void) {}

  init(app: App): void {
    this.bolt = app;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Waits (boundedly) for work that outlived its request: a revoke's progress messages. */
  async stop(timeoutMs = 5_000): Promise<void> {
    const all = Promise.allSettled([...this.running]);
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  async dispatch(
    body: Record<string, unknown>,
    retry: { num?: number; reason?: string },
  ): Promise<SlackAnswer> {
    const bolt = this.bolt;
    if (!bolt) throw new Error('the Slack receiver was not given to a Bolt app');
    let acked = false;
    let answer: (value: SlackAnswer) => void = () => undefined;
    const answered = new Promise<SlackAnswer>((resolve) => (answer = resolve));
    const event: ReceiverEvent = {
      body,
      ...(retry.num !== undefined ? { retryNum: retry.num } : {}),
      ...(retry.reason !== undefined ? { retryReason: retry.reason } : {}),
      ack: (response?: unknown) => {
        if (acked) return Promise.resolve();
        acked = true;
        answer({
          status: 200,
          body: response as string | Record<string, unknown> | undefined,
        });
        return Promise.resolve();
      },
    };
    // The work keeps the request's log context (its reqId, `via: slack`) after the answer.
    const context = currentLogContext() ?? {};
    const processing = withLogContext(context, () => bolt.processEvent(event)).then(
      (): SlackAnswer => ({ status: acked ? 200 : 404, body: undefined }),
      (error: unknown): SlackAnswer => {
        this.warn('a Slack listener failed', error);
        return { status: 500, body: undefined };
      },
    );
    const tracked = processing.finally(() => this.running.delete(tracked));
    this.running.add(tracked);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<SlackAnswer>((resolve) => {
      timer = setTimeout(() => {
        this.warn('a Slack request was not acknowledged within 3 seconds');
        resolve({ status: 200, body: undefined });
      }, ACK_TIMEOUT_MS);
    });
    try {
      return await Promise.race([answered, processing, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
