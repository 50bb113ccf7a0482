import { sql } from 'kysely';
import type { Database } from '../../src/adapters/db/database.js';
import type {
  ChatFacts,
  MemberFacts,
  OwnerRef,
  TeamFacts,
  WorkspaceAccessFacts,
} from '../../src/core/access/index.js';

/**
 * The benchmark suite's data (issue 7): one workspace with 1,000 users over every role, nested
 * teams (one of them very large), 1,000 channel accounts and `chats` chats, 30% assigned —
 * generated from a seed, so every run and every baseline sees exactly the same world.
 *
 * `uniform` spreads chats evenly over accounts and assignees; `skewed` draws both from a Zipf
 * distribution and adds the awkward users: Agents whose chats are all old, Collaborators with no
 * chat at all, Teammates in a team of 300.
 */
export type WorldMode = 'uniform' | 'skewed';

export interface BenchChat extends ChatFacts {
  /** Milliseconds since the epoch; the list's order. */
  lastMessageAt: number;
  contactId: string;
}

export interface BenchWorld {
  mode: WorldMode;
  seed: number;
  facts: WorkspaceAccessFacts;
  channels: Array<{ id: string; owner: OwnerRef }>;
  chats: BenchChat[];
  /** Users the report follows by name: one per role, and the awkward ones. */
  named: Record<string, string>;
}

/** What the database workloads need of a world: its principals' facts, names and some chats. */
export type WorldSample = Pick<BenchWorld, 'seed' | 'facts' | 'named' | 'chats'>;

/** `size` of the world's chats, drawn at random (seeded), and the rest of what a sample keeps. */
export function sampleOfWorld(world: BenchWorld, size: number): WorldSample {
  const random = prng(world.seed ^ 0x5a3b1e);
  const chats = Array.from(
    { length: Math.min(size, world.chats.length) },
    () => world.chats[Math.floor(random() * world.chats.length)],
  ).filter((chat) => chat !== undefined);
  return { seed: world.seed, facts: world.facts, named: world.named, chats };
}

export const WORKSPACE = 'bws';
const USERS = 1_000;
const CHANNELS = 1_000;
const TEAMS = 40;
const BIG_TEAM_SIZE = 300;
const YEAR_MS = 365 * 24 * 3600 * 1000;
const NOW = Date.parse('2026-11-01T00:00:00Z');

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws an index in [0, n): uniformly, or Zipf-distributed (exponent 1.1) when skewed. */
function sampler(n: number, skewed: boolean, random: () => number): () => number {
  if (!skewed) return () => Math.floor(random() * n);
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cdf[k] = sum += 1 / Math.pow(k + 1, 1.1);
  for (let k = 0; k < n; k++) cdf[k] = (cdf[k] ?? 0) / sum;
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] ?? 1) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function makeBenchWorld(chatCount: number, mode: WorldMode, seed = 7): BenchWorld {
  const random = prng(seed);
  const skewed = mode === 'skewed';
  const userId = (i: number) => `u${pad(i, 4)}`;
  const teamId = (i: number) => `t${pad(i, 2)}`;

  // Roles: 2 owners, 20 admins, 300 teammates, 600 agents, 78 collaborators.
  const roleOf = (i: number) =>
    i < 2 ? 'owner' : i < 22 ? 'admin' : i < 322 ? 'teammate' : i < 922 ? 'agent' : 'collaborator';
  const members: MemberFacts[] = Array.from({ length: USERS }, (_, i) => ({
    userId: userId(i),
    name: `User ${i}`,
    // A few suspended members: their chats stay, they see nothing.
    status: i % 97 === 50 ? 'suspended' : 'active',
    role: roleOf(i),
    // Some teammates may only see their own team's work.
    restrictions: roleOf(i) === 'teammate' && i % 10 === 3 ? { chatVisibility: 'team' } : {},
  }));

  // Teams: t00 is the very large one; t01..t09 top-level; the rest nested up to three deep.
  const teams: TeamFacts[] = Array.from({ length: TEAMS }, (_, i) => ({
    id: teamId(i),
    name: `Team ${i}`,
    parentId: i < 10 ? null : teamId(i < 25 ? 1 + (i % 9) : 10 + (i % 15)),
    status: 'active',
  }));
  const teamMembers: Array<{ teamId: string; userId: string }> = [];
  // Teammates 22..321 are all in the big team; agents are spread over the others, two each.
  for (let i = 22; i < 22 + BIG_TEAM_SIZE; i++)
    teamMembers.push({ teamId: teamId(0), userId: userId(i) });
  for (let i = 322; i < 922; i++) {
    const a = 1 + (i % (TEAMS - 1));
    const b = 1 + ((i * 7) % (TEAMS - 1));
    teamMembers.push({ teamId: teamId(a), userId: userId(i) });
    if (b !== a) teamMembers.push({ teamId: teamId(b), userId: userId(i) });
  }
  // Some teammates also lead small teams.
  for (let i = 22; i < 62; i++)
    teamMembers.push({ teamId: teamId(1 + (i % (TEAMS - 1))), userId: userId(i) });

  // Awkward users (skewed mode): agents 900..909 own accounts whose chats are all old.
  const oldAgents = new Set(Array.from({ length: 10 }, (_, k) => userId(900 + k)));
  const channels: Array<{ id: string; owner: OwnerRef }> = Array.from(
    { length: CHANNELS },
    (_, i) => {
      const r = i % 10;
      const owner: OwnerRef =
        r < 7
          ? { type: 'user', userId: userId(22 + ((i * 13) % 900)) }
          : r < 9
            ? { type: 'team', teamId: teamId(i % TEAMS) }
            : { type: 'workspace' };
      return { id: `ch${pad(i, 4)}`, owner };
    },
  );
  const channelOf = sampler(CHANNELS, skewed, random);
  // Assignable users: teammates and agents (and a few admins).
  const assignable = Array.from({ length: 920 }, (_, k) => userId(2 + k));
  const assigneeOf = sampler(assignable.length, skewed, random);
  const collaborators = Array.from({ length: 78 }, (_, k) => userId(922 + k));

  // Facts are immutable, so chats with the same assignee share one ref (as chats on one account
  // share its owner's) and chats nobody takes part in share one empty list: a million chats
  // are a million small objects, not four million.
  const userRefs = new Map<string, ChatFacts['assignee']>();
  const teamRefs = new Map<string, ChatFacts['assignee']>();
  const userRef = (id: string) => {
    let ref = userRefs.get(id);
    if (!ref) userRefs.set(id, (ref = { type: 'user', userId: id }));
    return ref;
  };
  const teamRef = (id: string) => {
    let ref = teamRefs.get(id);
    if (!ref) teamRefs.set(id, (ref = { type: 'team', teamId: id }));
    return ref;
  };
  const nobody: readonly string[] = Object.freeze([]);

  const chats: BenchChat[] = [];
  for (let i = 0; i < chatCount; i++) {
    const channel = channels[channelOf()] ?? channels[0];
    if (!channel) throw new Error('no channels');
    const r = random();
    let assignee: ChatFacts['assignee'] = null;
    if (r < 0.25) assignee = userRef(assignable[assigneeOf()] ?? userId(2));
    else if (r < 0.3) assignee = teamRef(teamId(Math.floor(random() * TEAMS)));
    // In the skewed world half the collaborators take part in nothing; the rest in a few chats.
    let participantIds = nobody;
    if (random() < 0.01) {
      const c = collaborators[Math.floor(random() * collaborators.length)] ?? collaborators[0];
      if (c && !(skewed && Number(c.slice(1)) % 2 === 0)) participantIds = [c];
    }
    const touchesOld =
      skewed &&
      ((channel.owner.type === 'user' && oldAgents.has(channel.owner.userId)) ||
        (assignee?.type === 'user' && oldAgents.has(assignee.userId)));
    const age = touchesOld ? YEAR_MS + random() * YEAR_MS : random() * YEAR_MS;
    chats.push({
      id: `c${pad(i, 7)}`,
      workspaceId: WORKSPACE,
      channelId: channel.id,
      channelOwner: channel.owner,
      assignee,
      participantIds,
      lastMessageAt: Math.floor(NOW - age),
      contactId: `k${pad(i % Math.max(1, Math.floor(chatCount / 2)), 7)}`,
    });
  }

  return {
    mode,
    seed,
    facts: { workspaceId: WORKSPACE, members, teams, teamMembers, customRoles: [], bindings: [] },
    channels,
    chats,
    named: {
      Owner: userId(0),
      Admin: userId(5),
      'Teammate (team of 300)': userId(40),
      'Teammate (chatVisibility=team)': userId(23),
      Agent: userId(500),
      'Agent, chats all old': userId(900),
      Collaborator: userId(925),
      'Collaborator, no chats': userId(924),
    },
  };
}

const CHUNK = 20_000;

/** Writes the world into a migrated, empty database (set-based, in chunks). */
export async function insertBenchWorld(db: Database, world: BenchWorld): Promise<void> {
  const { facts } = world;
  const ws = facts.workspaceId;
  await sql`insert into organizations (id, name) values (${ws}, 'Bench')`.execute(db);
  await sql`insert into workspaces (id, organization_id, name, integration_secret) values (${ws}, ${ws}, 'Bench', 's')`.execute(
    db,
  );
  const m = facts.members;
  await sql`insert into users (id, email, name)
    select id, id || '@bench.test', name from unnest(${m.map((x) => x.userId)}::text[], ${m.map((x) => x.name)}::text[]) as v(id, name)`.execute(
    db,
  );
  await sql`insert into memberships (workspace_id, user_id, role, status, restrictions)
    select ${ws}, id, role, status, r::jsonb from unnest(${m.map((x) => x.userId)}::text[], ${m.map((x) => x.role)}::text[],
      ${m.map((x) => x.status)}::text[], ${m.map((x) => JSON.stringify(x.restrictions))}::text[]) as v(id, role, status, r)`.execute(
    db,
  );
  // Parents first: a team's parent has a smaller number.
  for (const t of facts.teams)
    await sql`insert into teams (id, workspace_id, name, parent_id) values (${t.id}, ${ws}, ${t.name}, ${t.parentId})`.execute(
      db,
    );
  await sql`
    with recursive tree(ancestor_id, descendant_id, depth) as (
      select id, id, 0 from teams where workspace_id = ${ws}
      union all
      select tree.ancestor_id, t.id, tree.depth + 1 from tree join teams t on t.parent_id = tree.descendant_id
    )
    insert into team_tree (workspace_id, ancestor_id, descendant_id, depth) select ${ws}, ancestor_id, descendant_id, depth from tree`.execute(
    db,
  );
  const tm = facts.teamMembers;
  await sql`insert into team_members (workspace_id, team_id, user_id)
    select ${ws}, t, u from unnest(${tm.map((x) => x.teamId)}::text[], ${tm.map((x) => x.userId)}::text[]) as v(t, u)`.execute(
    db,
  );
  const ch = world.channels;
  await sql`insert into channel_accounts (id, workspace_id, type, name, owner_type, owner_user_id, owner_team_id, status)
    select id, ${ws}, 'webhook', id, ot, ou, ott, 'active'
    from unnest(${ch.map((c) => c.id)}::text[], ${ch.map((c) => c.owner.type)}::text[],
      ${ch.map((c) => (c.owner.type === 'user' ? c.owner.userId : null))}::text[],
      ${ch.map((c) => (c.owner.type === 'team' ? c.owner.teamId : null))}::text[]) as v(id, ot, ou, ott)`.execute(
    db,
  );
  const contacts = new Set(world.chats.map((c) => c.contactId));
  const contactIds = [...contacts];
  for (let i = 0; i < contactIds.length; i += CHUNK) {
    const part = contactIds.slice(i, i + CHUNK);
    await sql`insert into contacts (id, workspace_id, name, phone)
      select id, ${ws}, 'Contact ' || id, '+49' || lpad(substr(id, 2), 10, '0') from unnest(${part}::text[]) as v(id)`.execute(
      db,
    );
  }
  for (let i = 0; i < world.chats.length; i += CHUNK) {
    const part = world.chats.slice(i, i + CHUNK);
    await sql`insert into chats (id, workspace_id, channel_id, external_id, contact_id, last_message_at, last_message_preview)
      select id, ${ws}, ch, id, ct, to_timestamp(at / 1000.0), 'hello'
      from unnest(${part.map((c) => c.id)}::text[], ${part.map((c) => c.channelId)}::text[],
        ${part.map((c) => c.contactId)}::text[], ${part.map((c) => c.lastMessageAt)}::float8[]) as v(id, ch, ct, at)`.execute(
      db,
    );
    const assigned = part.filter((c) => c.assignee !== null);
    await sql`update chat_assignments a set user_id = v.u, team_id = v.t, last_user_id = v.u
      from unnest(${assigned.map((c) => c.id)}::text[],
        ${assigned.map((c) => (c.assignee?.type === 'user' ? c.assignee.userId : null))}::text[],
        ${assigned.map((c) => (c.assignee?.type === 'team' ? c.assignee.teamId : null))}::text[]) as v(id, u, t)
      where a.chat_id = v.id`.execute(db);
    const participants = part.flatMap((c) => c.participantIds.map((u) => [c.id, u] as const));
    if (participants.length)
      await sql`insert into chat_participants (workspace_id, chat_id, user_id)
        select ${ws}, c, u from unnest(${participants.map((p) => p[0])}::text[], ${participants.map((p) => p[1])}::text[]) as v(c, u)`.execute(
        db,
      );
  }
  await sql`vacuum analyze`.execute(db);
}
