import path from 'node:path';
import { z } from 'zod';
import {
  parseOutboundAllow,
  publicOnly,
  type OutboundPolicy,
} from './core/outbound/outbound-policy.js';

/**
 * Switchboard's configuration, read once from the environment by the
 * composition root (`main.ts`) and passed down. Nothing else reads
 * `process.env`. A missing or malformed variable stops start-up with a
 * message that names it.
 */

const optional = <T extends z.ZodType>(schema: T) =>
  // An empty value (`DATABASE_URL=` in an env file) means "not set".
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const urlWithProtocols = (protocols: readonly string[], example: string) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL like ${example}` },
  );

/** Requests per minute; 0 turns the limit off. */
const rateLimit = (fallback: number) =>
  optional(z.coerce.number().int().min(0).max(100_000_000)).transform((value) => value ?? fallback);

const port = z.coerce
  .number({ message: 'must be a whole number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

/** `on`: /metrics on the main port; `off`: nowhere; a port: alone on HOST:that port. */
const metricsSetting = z.union(
  [
    z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['on', 'off'])),
    z
      .string()
      .regex(/^\d{1,5}$/)
      .transform(Number)
      .refine((value) => value >= 1 && value <= 65535)
      .transform((value) => ({ port: value })),
  ],
  { error: 'must be on, off, or a port number between 1 and 65535' },
);

/** Destinations outbound requests may reach besides public addresses (outbound-policy.ts). */
const outboundAllow = z.string().transform((value, ctx): OutboundPolicy => {
  const parsed = parseOutboundAllow(value);
  if (!('errors' in parsed)) return parsed;
  for (const message of parsed.errors) ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
});

const envSchema = z
  .object({
    DATABASE_URL: optional(
      urlWithProtocols(['postgres:', 'postgresql:'], 'postgres://user:pass@host:5432/db'),
    ),
    REDIS_URL: optional(urlWithProtocols(['redis:', 'rediss:'], 'redis://host:6379')),
    PORT: optional(port).transform((value) => value ?? 8080),
    HOST: optional(z.string().min(1)).transform((value) => value ?? '0.0.0.0'),
    SWITCHBOARD_PUBLIC_URL: optional(
      urlWithProtocols(['http:', 'https:'], 'https://sb.example.com'),
    ),
    SWITCHBOARD_PLATFORM_TOKEN: optional(
      z.string().min(32, 'must be at least 32 characters (use a long random secret)'),
    ),
    SWITCHBOARD_DATA_DIR: optional(z.string().min(1)).transform(
      (value) => value ?? './.switchboard',
    ),
    SWITCHBOARD_BODY_LIMIT_BYTES: optional(
      z.coerce
        .number()
        .int()
        .min(1024, 'must be at least 1024')
        .max(64 * 1024 * 1024),
    ).transform((value) => value ?? 1024 * 1024),
    LOG_LEVEL: optional(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    ).transform((value) => value ?? 'info'),
    SLACK_SIGNING_SECRET: optional(z.string().min(1)),
    SLACK_BOT_TOKEN: optional(z.string().startsWith('xoxb-', 'must be a bot token (xoxb-…)')),
    SLACK_COMMAND: optional(
      z.string().regex(/^\/[a-z0-9_-]{1,31}$/, 'must be a slash command such as /switchboard'),
    ).transform((value) => value ?? '/switchboard'),
    SLACK_API_URL: optional(
      urlWithProtocols(['http:', 'https:'], 'https://slack.com/api/'),
    ).transform((value) => (value ?? 'https://slack.com/api/').replace(/\/*$/, '/')),
    CHROMIUM_PATH: optional(z.string().min(1)),
    SWITCHBOARD_RATE_LIMIT_PER_TOKEN: rateLimit(1_200),
    SWITCHBOARD_RATE_LIMIT_PER_ADDRESS: rateLimit(600),
    SWITCHBOARD_RATE_LIMIT_ACCEPT: rateLimit(10),
    SWITCHBOARD_RATE_LIMIT_INBOUND: rateLimit(600_000),
    SWITCHBOARD_METRICS: optional(metricsSetting).transform((value) => value ?? 'on'),
    SWITCHBOARD_OUTBOUND_ALLOW: optional(outboundAllow),
  })
  .superRefine((env, ctx) => {
    if (typeof env.SWITCHBOARD_METRICS === 'object' && env.SWITCHBOARD_METRICS.port === env.PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['SWITCHBOARD_METRICS'],
        message: `must be another port than PORT (${env.PORT}), or on to serve /metrics there`,
      });
    }
    if (Boolean(env.SLACK_SIGNING_SECRET) !== Boolean(env.SLACK_BOT_TOKEN)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.SLACK_SIGNING_SECRET ? 'SLACK_BOT_TOKEN' : 'SLACK_SIGNING_SECRET'],
        message: 'SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are set together or not at all',
      });
    }
  });

export interface Config {
  /** Absent: run an embedded PostgreSQL under `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** Absent: run the job queue on BullMQ's PostgreSQL backend. */
  readonly redisUrl: string | undefined;
  readonly host: string;
  readonly port: number;
  /** Base URL people and providers reach this server at (inbound webhook URLs). */
  readonly publicUrl: string;
  readonly platformToken: string | undefined;
  /** Absolute path. */
  readonly dataDir: string;
  readonly bodyLimitBytes: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Absent: no Slack bot (`POST /slack/events` is not served). */
  readonly slack:
    | {
        readonly signingSecret: string;
        readonly botToken: string;
        /** The slash command (`/switchboard`). */
        readonly command: string;
        /** Slack's Web API base, ending in `/`. */
        readonly apiUrl: string;
      }
    | undefined;
  readonly chromiumPath: string | undefined;
  /** Requests per minute per API token, per address, invitation accepts, inbound per channel. */
  readonly rateLimits: {
    readonly perToken: number;
    readonly perAddress: number;
    readonly acceptPerAddress: number;
    readonly inboundPerChannel: number;
  };
  /**
   * What requests to users' URLs (webhooks, webhook channels' replies, a CRM's API) may reach
   * besides public addresses: `SWITCHBOARD_OUTBOUND_ALLOW`, empty by default.
   */
  readonly outbound: OutboundPolicy;
  /** Where `GET /metrics` (Prometheus) is served: the main port, a port of its own, or nowhere. */
  readonly metrics:
    | { readonly serve: 'main' }
    | { readonly serve: 'off' }
    | { readonly serve: 'own-port'; readonly port: number };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment into a frozen `Config`, or throws a `ConfigError` naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const got = typeof issue.path[0] === 'string' ? env[issue.path[0]] : undefined;
      // Secrets are never echoed back; other values are, to make the typo obvious.
      const shown =
        got === undefined || /TOKEN|SECRET|URL/.test(name) ? '' : ` (got ${JSON.stringify(got)})`;
      return `  ${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    host: e.HOST,
    port: e.PORT,
    publicUrl: (e.SWITCHBOARD_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    platformToken: e.SWITCHBOARD_PLATFORM_TOKEN,
    dataDir: path.resolve(cwd, e.SWITCHBOARD_DATA_DIR),
    bodyLimitBytes: e.SWITCHBOARD_BODY_LIMIT_BYTES,
    logLevel: e.LOG_LEVEL,
    slack:
      e.SLACK_SIGNING_SECRET && e.SLACK_BOT_TOKEN
        ? Object.freeze({
            signingSecret: e.SLACK_SIGNING_SECRET,
            botToken: e.SLACK_BOT_TOKEN,
            command: e.SLACK_COMMAND,
            apiUrl: e.SLACK_API_URL,
          })
        : undefined,
    chromiumPath: e.CHROMIUM_PATH,
    rateLimits: Object.freeze({
      perToken: e.SWITCHBOARD_RATE_LIMIT_PER_TOKEN,
      perAddress: e.SWITCHBOARD_RATE_LIMIT_PER_ADDRESS,
      acceptPerAddress: e.SWITCHBOARD_RATE_LIMIT_ACCEPT,
      inboundPerChannel: e.SWITCHBOARD_RATE_LIMIT_INBOUND,
    }),
    outbound: e.SWITCHBOARD_OUTBOUND_ALLOW ?? publicOnly,
    metrics: Object.freeze(
      e.SWITCHBOARD_METRICS === 'on'
        ? { serve: 'main' as const }
        : e.SWITCHBOARD_METRICS === 'off'
          ? { serve: 'off' as const }
          : { serve: 'own-port' as const, port: e.SWITCHBOARD_METRICS.port },
    ),
  });
}
