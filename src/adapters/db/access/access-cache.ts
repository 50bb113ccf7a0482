import type { AccessFactsSource, WorkspaceAccessFacts } from '../../../core/access/index.js';
import { executePrepared, type Database } from '../database.js';
import { loadChatFacts, loadWorkspaceAccess } from './load-access.js';

interface Entry {
  version: string;
  facts: WorkspaceAccessFacts;
}

/**
 * Each workspace's access facts, kept in memory while the database says they are current.
 *
 * A request asks PostgreSQL for one number, the workspace's `access_version` (bumped by triggers
 * whenever a membership, team, role, binding or user name changes: migration 0008), and gets the
 * same facts object back as long as it has not moved. Principals are memoised per facts object
 * (`buildPrincipal`), so an unchanged workspace also keeps its built principals and their
 * compiled scope plans. A change committed by any process is seen by the next request on every
 * process: there is no expiry to wait out and no message to miss.
 *
 * On a miss the version and the facts are read in one repeatable-read snapshot, so the facts
 * kept under a version are exactly that version's. Concurrent misses of one workspace share one
 * load. At most `capacity` workspaces are kept, least recently used leaving first.
 */
export class WorkspaceAccessCache implements AccessFactsSource {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<WorkspaceAccessFacts>>();

  constructor(
    private readonly db: Database,
    private readonly capacity = 1_000,
  ) {}

  async workspaceAccess(workspaceId: string): Promise<WorkspaceAccessFacts> {
    const [row] = await executePrepared(
      this.db,
      this.db.selectFrom('workspaces').select('access_version').where('id', '=', workspaceId),
    );
    // No such workspace: its (empty) facts, nothing kept.
    if (!row) return loadWorkspaceAccess(this.db, workspaceId);
    const cached = this.entries.get(workspaceId);
    if (cached?.version === row.access_version) {
      this.entries.delete(workspaceId);
      this.entries.set(workspaceId, cached);
      return cached.facts;
    }
    const key = `${workspaceId}@${row.access_version}`;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(workspaceId).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  chatFacts(workspaceId: string, chatIds: readonly string[]) {
    return loadChatFacts(this.db, workspaceId, chatIds);
  }

  /** The version and the facts from one snapshot; kept unless a newer version got there first. */
  private async load(workspaceId: string): Promise<WorkspaceAccessFacts> {
    const loaded = await this.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        const row = await trx
          .selectFrom('workspaces')
          .select('access_version')
          .where('id', '=', workspaceId)
          .executeTakeFirst();
        return { version: row?.access_version, facts: await loadWorkspaceAccess(trx, workspaceId) };
      });
    if (loaded.version === undefined) return loaded.facts;
    const entry = { version: loaded.version, facts: loaded.facts };
    const current = this.entries.get(workspaceId);
    if (!current || BigInt(current.version) < BigInt(entry.version)) {
      this.entries.delete(workspaceId);
      this.entries.set(workspaceId, entry);
      if (this.entries.size > this.capacity) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
    }
    return entry.facts;
  }
}
