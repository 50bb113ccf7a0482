import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-tenancy-and-people.js';
import * as m0002 from './0002-channels-and-chats.js';
import * as m0003 from './0003-operations.js';
import * as m0004 from './0004-job-indexes.js';
import * as m0005 from './0005-fewer-chat-indexes.js';
import * as m0006 from './0006-whatsapp-qr.js';
import * as m0007 from './0007-chat-assignments.js';
import * as m0008 from './0008-access-version.js';
import * as m0009 from './0009-chat-counts.js';
import * as m0010 from './0010-scope-counts.js';
import * as m0011 from './0011-participant-recent.js';
import * as m0012 from './0012-covering-list-indexes.js';
import * as m0013 from './0013-e164-phones.js';
import * as m0014 from './0014-integrations.js';
import * as m0015 from './0015-crm.js';
import * as m0016 from './0016-webhook-as-user.js';
import * as m0017 from './0017-message-status-events.js';
import * as m0018 from './0018-channel-status-detail.js';

/**
 * Every migration, by name, in order. A static list (not a folder scan) so the
 * same code runs under tsx, from `dist/`, and in a bundle.
 */
export const migrations: Record<string, Migration> = {
  '0001-tenancy-and-people': m0001,
  '0002-channels-and-chats': m0002,
  '0003-operations': m0003,
  '0004-job-indexes': m0004,
  '0005-fewer-chat-indexes': m0005,
  '0006-whatsapp-qr': m0006,
  '0007-chat-assignments': m0007,
  '0008-access-version': m0008,
  '0009-chat-counts': m0009,
  '0010-scope-counts': m0010,
  '0011-participant-recent': m0011,
  '0012-covering-list-indexes': m0012,
  '0013-e164-phones': m0013,
  '0014-integrations': m0014,
  '0015-crm': m0015,
  '0016-webhook-as-user': m0016,
  '0017-message-status-events': m0017,
  '0018-channel-status-detail': m0018,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
