import { verifySlackRequest } from '@slack/bolt';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../core/errors.js';
import { viaAdapter } from '../../logging/log-context.js';
import type { SlackBot } from '../../slack/bot.js';
import { errorBody } from '../errors.js';

/** Slack signs with a timestamp; a request more than this far from our clock is refused. */
const WINDOW_S = 5 * 60;

/**
 * `POST /slack/events` (shared/API.md "Slack"): every request Slack sends — slash commands,
 * button clicks, Events API callbacks — verified with the signing secret (`v0`, HMAC-SHA256
 * of `v0:<ts>:<raw body>`, 5-minute window, either side of now) before anything runs, then
 * handed to the bot's Bolt app. A bad or stale signature gets 401 and nothing else.
 */
export function slackRoutes(app: FastifyInstance, bot: SlackBot, now: () => Date): void {
  void app.register((scoped, _options, done) => {
    // The signature covers the exact bytes: both of Slack's body types are read raw.
    scoped.removeAllContentTypeParsers();
    scoped.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, parsed) =>
      parsed(null, body),
    );
    scoped.post(
      '/slack/events',
      { schema: { summary: 'Requests from Slack (signed by Slack)', security: [], hide: true } },
      async (request, reply) => {
        const raw = typeof request.body === 'string' ? request.body : '';
        const timestamp = Number(request.headers['x-slack-request-timestamp']);
        const signature = request.headers['x-slack-signature'];
        const nowMs = now().getTime();
        try {
          if (!Number.isInteger(timestamp) || typeof signature !== 'string')
            throw new Error('unsigned');
          if (timestamp > nowMs / 1000 + WINDOW_S) throw new Error('from the future');
          verifySlackRequest({
            signingSecret: bot.signingSecret,
            body: raw,
            headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
            nowMilliseconds: nowMs,
          });
        } catch {
          return reply
            .status(401)
            .send(
              errorBody(
                new AppError('unauthorized', 'the Slack signature is missing, wrong or stale'),
              ),
            );
        }
        const body = parseBody(raw, request.headers['content-type']);
        if (!body) {
          return reply
            .status(400)
            .send(errorBody(new AppError('invalid_input', 'the body is not what Slack sends')));
        }
        if (body.ssl_check === '1') return reply.status(200).send('');
        if (body.type === 'url_verification' && typeof body.challenge === 'string')
          return reply.send({ challenge: body.challenge });
        const retryNum = Number(request.headers['x-slack-retry-num']);
        const retryReason = request.headers['x-slack-retry-reason'];
        const answer = await viaAdapter('slack', () =>
          bot.receiver.dispatch(body, {
            ...(Number.isInteger(retryNum) ? { num: retryNum } : {}),
            ...(typeof retryReason === 'string' ? { reason: retryReason } : {}),
          }),
        );
        reply.status(answer.status);
        if (answer.body === undefined) return reply.send('');
        if (typeof answer.body === 'string')
          return reply.type('text/plain; charset=utf-8').send(answer.body);
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(answer.body));
      },
    );
    done();
  });
}

/**
 * Slack's bodies: slash commands are form fields; interactivity is a form with one `payload`
 * field of JSON; the Events API is JSON. Undefined: none of them.
 */
function parseBody(
  raw: string,
  contentType: string | undefined,
): Record<string, unknown> | undefined {
  try {
    if (contentType?.startsWith('application/json')) {
      const json: unknown = JSON.parse(raw);
      return json && typeof json === 'object' && !Array.isArray(json)
        ? (json as Record<string, unknown>)
        : undefined;
    }
    if (contentType?.startsWith('application/x-www-form-urlencoded')) {
      const form = Object.fromEntries(new URLSearchParams(raw));
      if (typeof form.payload === 'string') {
        const payload: unknown = JSON.parse(form.payload);
        return payload && typeof payload === 'object' && !Array.isArray(payload)
          ? (payload as Record<string, unknown>)
          : undefined;
      }
      return form;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
