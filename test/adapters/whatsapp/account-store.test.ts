import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFailure } from '../../../src/adapters/whatsapp/account-runtime.js';
import {
  clearStatusDetail,
  writeQr,
  writeStatus,
} from '../../../src/adapters/whatsapp/account-store.js';
import { AppError } from '../../../src/core/errors.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * What the node running a WhatsApp account writes of its status: why it is down
 * (`status_detail`) with the status, a new reason alone being a change (so it is announced).
 */
describe('a WhatsApp account’s status and why', () => {
  let t: TestDatabase;
  const id = 'ch_st';
  const row = () =>
    t.db
      .selectFrom('channel_accounts')
      .select(['status', 'status_detail', 'qr'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  beforeAll(async () => {
    t = await createTestDatabase();
    for (const statement of [
      sql`insert into organizations (id, name) values ('org_st', 'Org')`,
      sql`insert into workspaces (id, organization_id, name, integration_secret) values ('ws_st', 'org_st', 'W', 's')`,
      sql`insert into channel_accounts (id, workspace_id, type, name, owner_type, status) values (${id}, 'ws_st', 'whatsapp', 'WA', 'workspace', 'qr_pending')`,
    ])
      await statement.execute(t.db);
  });
  afterAll(() => t?.drop());

  it('stores the detail with the status; the same again is no change, a new detail alone is', async () => {
    expect(await writeStatus(t.db, id, 'disconnected', { detail: 'failed to start: A' })).toBe(
      true,
    );
    expect(await row()).toMatchObject({
      status: 'disconnected',
      status_detail: 'failed to start: A',
    });
    expect(await writeStatus(t.db, id, 'disconnected', { detail: 'failed to start: A' })).toBe(
      false,
    );
    expect(await writeStatus(t.db, id, 'disconnected', { detail: 'NAVIGATION' })).toBe(true);
    expect((await row()).status_detail).toBe('NAVIGATION');
    // Without a detail: none (a change too).
    expect(await writeStatus(t.db, id, 'disconnected')).toBe(true);
    expect((await row()).status_detail).toBeNull();
    expect(await writeStatus(t.db, id, 'disconnected', { detail: '  ' })).toBe(false);
  });

  it('keeps at most 500 characters (the column’s limit), counted as characters', async () => {
    const long = '😀'.repeat(600);
    expect(await writeStatus(t.db, id, 'disconnected', { detail: long })).toBe(true);
    expect(Array.from((await row()).status_detail ?? '')).toHaveLength(500);
    await expect(
      sql`update channel_accounts set status_detail = ${'x'.repeat(501)} where id = ${id}`.execute(
        t.db,
      ),
    ).rejects.toThrow(/check constraint/);
  });

  it('connected and qr_pending (a QR code too) clear it; clearStatusDetail only for disconnected', async () => {
    await writeStatus(t.db, id, 'disconnected', { detail: 'CONFLICT' });
    expect(await writeStatus(t.db, id, 'connected', { detail: 'ignored' })).toBe(true);
    expect(await row()).toMatchObject({ status: 'connected', status_detail: null });
    expect(await writeStatus(t.db, id, 'connected')).toBe(false);

    await writeStatus(t.db, id, 'disconnected', { detail: 'CONFLICT' });
    expect(await writeQr(t.db, id, '2@qr,1')).toBe(true);
    expect(await row()).toMatchObject({ status: 'qr_pending', status_detail: null, qr: '2@qr,1' });
    expect(await writeStatus(t.db, id, 'qr_pending', { detail: 'ignored' })).toBe(false);

    await writeStatus(t.db, id, 'logged_out', { detail: 'LOGOUT' });
    expect(await row()).toMatchObject({ status: 'logged_out', status_detail: 'LOGOUT', qr: null });
    expect(await clearStatusDetail(t.db, id)).toBe(false);
    await writeStatus(t.db, id, 'disconnected', { detail: 'failed to start: B' });
    expect(await clearStatusDetail(t.db, id)).toBe(true);
    expect(await row()).toMatchObject({ status: 'disconnected', status_detail: null });
    expect(await clearStatusDetail(t.db, id)).toBe(false);
  });

  it('a disabled account is not written', async () => {
    await sql`update channel_accounts set status = 'disabled', status_detail = null where id = ${id}`.execute(
      t.db,
    );
    expect(await writeStatus(t.db, id, 'disconnected', { detail: 'NAVIGATION' })).toBe(false);
    expect(await row()).toMatchObject({ status: 'disabled', status_detail: null });
  });
});

describe('why a client did not start, as shown', () => {
  const wrapped = (cause: unknown) =>
    new AppError('unavailable', 'The WhatsApp client did not start.', { cause });

  it('is the innermost reason’s first line', () => {
    expect(
      startFailure(wrapped(new Error('net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/'))),
    ).toBe('net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/');
    expect(
      startFailure(
        wrapped(
          new Error(
            'Failed to launch the browser process!\n[0101/120000:ERROR] --user-data-dir=/data/wa/RemoteAuth-ch_1',
          ),
        ),
      ),
    ).toBe('Failed to launch the browser process!');
    expect(startFailure(new AppError('conflict', 'this WhatsApp runner was stopped'))).toBe(
      'this WhatsApp runner was stopped',
    );
    expect(startFailure(wrapped('timeout'))).toBe('timeout');
  });

  it('leaves out file paths (session folders), not URLs', () => {
    expect(
      startFailure(
        wrapped(new Error("EACCES: permission denied, mkdir '/var/lib/wa/RemoteAuth-ch_1'")),
      ),
    ).toBe("EACCES: permission denied, mkdir '…'");
    expect(startFailure(wrapped(new Error('Browser was not found at /usr/bin/chromium')))).toBe(
      'Browser was not found at …',
    );
    expect(
      startFailure(wrapped(new Error('net::ERR_TIMED_OUT at https://web.whatsapp.com/a/b'))),
    ).toBe('net::ERR_TIMED_OUT at https://web.whatsapp.com/a/b');
  });
});
