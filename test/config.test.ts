import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const load = (env: Record<string, string>) => loadConfig(env, '/srv/switchboard');

function errorOf(env: Record<string, string>): string {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('needs nothing: the embedded default has no services to name', () => {
    const config = load({});
    expect(config).toMatchObject({
      databaseUrl: undefined,
      redisUrl: undefined,
      port: 8080,
      host: '0.0.0.0',
      platformToken: undefined,
      dataDir: path.resolve('/srv/switchboard', '.switchboard'),
      publicUrl: 'http://localhost:8080',
      slack: undefined,
      metrics: { serve: 'main' },
    });
  });

  it('is frozen, so nothing changes it after start-up', () => {
    const config = load({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('reads every variable it knows', () => {
    const config = load({
      DATABASE_URL: 'postgres://u:p@db:5432/sb',
      REDIS_URL: 'redis://cache:6379',
      PORT: '9000',
      HOST: '127.0.0.1',
      SWITCHBOARD_PUBLIC_URL: 'https://sb.example.com/',
      SWITCHBOARD_PLATFORM_TOKEN: 'x'.repeat(40),
      SWITCHBOARD_DATA_DIR: '/var/lib/switchboard',
      SLACK_SIGNING_SECRET: 'sig',
      SLACK_BOT_TOKEN: 'xoxb-1',
      CHROMIUM_PATH: '/usr/bin/chromium',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      databaseUrl: 'postgres://u:p@db:5432/sb',
      redisUrl: 'redis://cache:6379',
      port: 9000,
      host: '127.0.0.1',
      publicUrl: 'https://sb.example.com',
      dataDir: '/var/lib/switchboard',
      slack: {
        signingSecret: 'sig',
        botToken: 'xoxb-1',
        command: '/switchboard',
        apiUrl: 'https://slack.com/api/',
      },
      chromiumPath: '/usr/bin/chromium',
      logLevel: 'debug',
    });
  });

  it('takes the Slack command and API URL, and refuses a command without its slash', () => {
    const slack = { SLACK_SIGNING_SECRET: 'sig', SLACK_BOT_TOKEN: 'xoxb-1' };
    expect(
      load({ ...slack, SLACK_COMMAND: '/sb', SLACK_API_URL: 'http://127.0.0.1:9/api' }).slack,
    ).toMatchObject({ command: '/sb', apiUrl: 'http://127.0.0.1:9/api/' });
    expect(() => load({ ...slack, SLACK_COMMAND: 'sb' })).toThrow(/SLACK_COMMAND/);
    expect(() => load({ ...slack, SLACK_API_URL: 'slack.com' })).toThrow(/SLACK_API_URL/);
  });

  it('reads rate limits a minute, 0 for none, and refuses a negative one', () => {
    expect(load({}).rateLimits).toEqual({
      perToken: 1200,
      perAddress: 600,
      acceptPerAddress: 10,
      inboundPerChannel: 600000,
    });
    expect(
      load({ SWITCHBOARD_RATE_LIMIT_PER_TOKEN: '0', SWITCHBOARD_RATE_LIMIT_ACCEPT: '3' })
        .rateLimits,
    ).toMatchObject({ perToken: 0, acceptPerAddress: 3 });
    expect(() => load({ SWITCHBOARD_RATE_LIMIT_INBOUND: '-1' })).toThrow(
      /SWITCHBOARD_RATE_LIMIT_INBOUND/,
    );
  });

  it('serves /metrics on the main port, on a port of its own, or not at all', () => {
    expect(load({ SWITCHBOARD_METRICS: 'on' }).metrics).toEqual({ serve: 'main' });
    expect(load({ SWITCHBOARD_METRICS: 'off' }).metrics).toEqual({ serve: 'off' });
    expect(load({ SWITCHBOARD_METRICS: 'OFF' }).metrics).toEqual({ serve: 'off' });
    expect(load({ SWITCHBOARD_METRICS: '9464' }).metrics).toEqual({
      serve: 'own-port',
      port: 9464,
    });
    expect(load({ SWITCHBOARD_METRICS: '' }).metrics).toEqual({ serve: 'main' });
    expect(Object.isFrozen(load({ SWITCHBOARD_METRICS: '9464' }).metrics)).toBe(true);
  });

  it('refuses a metrics port that is the main port', () => {
    expect(errorOf({ PORT: '9000', SWITCHBOARD_METRICS: '9000' })).toMatch(
      /^ {2}SWITCHBOARD_METRICS: must be another port than PORT \(9000\)/m,
    );
    expect(errorOf({ SWITCHBOARD_METRICS: '8080' })).toMatch(/^ {2}SWITCHBOARD_METRICS: /m);
  });

  it('treats an empty value as unset', () => {
    expect(load({ DATABASE_URL: '', PORT: '' })).toMatchObject({
      databaseUrl: undefined,
      port: 8080,
    });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '80.5' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://db/sb' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://cache:6379' }, 'REDIS_URL'],
    [{ SWITCHBOARD_PLATFORM_TOKEN: 'short' }, 'SWITCHBOARD_PLATFORM_TOKEN'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ SWITCHBOARD_METRICS: 'yes' }, 'SWITCHBOARD_METRICS'],
    [{ SWITCHBOARD_METRICS: '0' }, 'SWITCHBOARD_METRICS'],
    [{ SWITCHBOARD_METRICS: '70000' }, 'SWITCHBOARD_METRICS'],
    [{ SWITCHBOARD_METRICS: '91.5' }, 'SWITCHBOARD_METRICS'],
    [{ SWITCHBOARD_METRICS: '-1' }, 'SWITCHBOARD_METRICS'],
    [{ SLACK_SIGNING_SECRET: 'sig' }, 'SLACK_BOT_TOKEN'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET'],
    [{ SLACK_SIGNING_SECRET: 's', SLACK_BOT_TOKEN: 'xoxp-user' }, 'SLACK_BOT_TOKEN'],
  ])('stops on a malformed value and names the variable: %o', (env, variable) => {
    expect(errorOf(env)).toMatch(new RegExp(`^  ${variable}: `, 'm'));
  });

  it('names every bad variable at once', () => {
    const message = errorOf({ PORT: 'x', REDIS_URL: 'nope' });
    expect(message).toContain('PORT');
    expect(message).toContain('REDIS_URL');
  });

  it('never echoes a secret back', () => {
    const message = errorOf({
      SWITCHBOARD_PLATFORM_TOKEN: 'hunter2',
      DATABASE_URL: 'mysql://u:pw@h/db',
    });
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('pw@');
  });

  it('reads SWITCHBOARD_OUTBOUND_ALLOW: empty means public addresses only; CIDRs, addresses and host[:port] allow more', () => {
    expect(load({}).outbound.allow).toEqual([]);
    expect(load({ SWITCHBOARD_OUTBOUND_ALLOW: '' }).outbound.allow).toEqual([]);
    const allow = load({
      SWITCHBOARD_OUTBOUND_ALLOW:
        '127.0.0.1/32, 10.0.0.0/8,::1/128,[::1]:8080,hooks.internal:8443,crm.lan',
    }).outbound.allow;
    expect(allow.map((entry) => entry.text)).toEqual([
      '127.0.0.1/32',
      '10.0.0.0/8',
      '::1/128',
      '[::1]:8080',
      'hooks.internal:8443',
      'crm.lan',
    ]);
    expect(allow[4]).toMatchObject({ host: 'hooks.internal', port: 8443 });
  });

  it.each(['10.0.0.0/33', '127.0.0.1/32,not a host', 'hooks.internal:70000', '300.1.2.3/8'])(
    'stops on a bad SWITCHBOARD_OUTBOUND_ALLOW entry and names it: %s',
    (value) => {
      const bad = value.split(',').at(-1) ?? value;
      expect(errorOf({ SWITCHBOARD_OUTBOUND_ALLOW: value })).toContain(
        `\n  SWITCHBOARD_OUTBOUND_ALLOW: "${bad}" is not a CIDR`,
      );
    },
  );

  it('echoes a harmless value, so a typo is obvious', () => {
    expect(errorOf({ PORT: 'eighty' })).toContain('"eighty"');
  });
});
