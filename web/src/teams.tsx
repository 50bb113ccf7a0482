import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Job, Member, Team } from './api.js';
import type { WorkspaceContext } from './app.js';
import { JobProgress } from './job-progress.js';
import './teams.css';
import { errorText } from './format.js';

/**
 * The teams view for those who manage teams (issue 21): the workspace's teams as a tree, each
 * with its parent, its members (from the member list's teamIds) and whether it is suspended;
 * create a team (at the top or under a parent), add or remove a member, suspend or delete a
 * team and follow the job that hands what it owned to HQ. The server decides every action;
 * a refusal is shown as it words it.
 */

/** A team and how deep it sits under its (listed) ancestors. */
interface Placed {
  team: Team;
  depth: number;
}

/** Parents before their sub-teams, siblings by name; a team whose parent is not listed is a root. */
function treeOrder(teams: Team[]): Placed[] {
  const ids = new Set(teams.map((t) => t.id));
  const byName = (a: Team, b: Team) => a.name.localeCompare(b.name);
  const children = new Map<string | null, Team[]>();
  for (const t of teams) {
    const parent = t.parentId && ids.has(t.parentId) ? t.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), t]);
  }
  const out: Placed[] = [];
  const seen = new Set<string>();
  const walk = (parent: string | null, depth: number) => {
    for (const t of (children.get(parent) ?? []).sort(byName)) {
      if (seen.has(t.id)) continue;
      seen.add(t.id);
      out.push({ team: t, depth });
      walk(t.id, depth + 1);
    }
  };
  walk(null, 0);
  // A cycle (never expected) would leave teams unplaced: list them at the top level.
  for (const t of teams) if (!seen.has(t.id)) out.push({ team: t, depth: 0 });
  return out;
}

type TeamJob = { id: string; action: 'suspend' | 'delete'; name: string };

export function TeamsView(props: { ctx: WorkspaceContext }) {
  const { ctx } = props;
  const { api, refresh } = ctx;
  /** Every team the API lists: active and suspended (deleted ones are not listed). */
  const [teams, setTeams] = useState<Team[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [jobs, setJobs] = useState<TeamJob[]>([]);

  const reload = useCallback(() => {
    api.teams().then(
      (r) => {
        setTeams(r.items);
        setError(null);
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, [api]);
  useEffect(reload, [reload]);
  /** After a change: this view's list, and the shell's teams and members. */
  const changed = useCallback(() => {
    reload();
    refresh();
  }, [reload, refresh]);

  const listed = teams ?? [];
  const active = listed.filter((t) => t.status === 'active');
  const people = ctx.members.filter(
    (m): m is Member & { user: { id: string } } =>
      m.user.id !== null && (m.status === 'active' || m.status === 'suspended'),
  );
  return (
    <main class="page teams-page" id="page" aria-labelledby="teams-title">
      <h2 id="teams-title">Teams</h2>
      {error ? <p role="alert">{error}</p> : null}
      {teams === null && !error ? <p role="status">Loading teams…</p> : null}
      <CreateTeam ctx={ctx} parents={active} onCreated={changed} />
      {jobs.map((j) => (
        <JobProgress
          key={j.id}
          api={api}
          jobId={j.id}
          label={`${j.action === 'suspend' ? 'Suspending' : 'Deleting'} ${j.name}: handing over to HQ`}
          running={(job) => `${job.progress.done} of ${job.progress.total} chats`}
          completed={(job) => handedOver(j, job)}
          failed={(job) =>
            `The background job failed after moving ${job.progress.done} of ${job.progress.total} chats; ${j.name} gives no access all the same.`
          }
          onFinished={changed}
          focus
        />
      ))}
      <section aria-labelledby="team-list-title">
        <h3 id="team-list-title">All teams</h3>
        {teams !== null && listed.length === 0 ? (
          <p class="hint">No teams yet. Create the first one above.</p>
        ) : null}
        <ul class="team-list">
          {treeOrder(listed).map(({ team, depth }) => (
            <TeamRow
              key={team.id}
              ctx={ctx}
              team={team}
              depth={depth}
              parent={listed.find((t) => t.id === team.parentId) ?? null}
              people={people}
              onChanged={changed}
              onJob={(id, action) => setJobs((js) => [...js, { id, action, name: team.name }])}
            />
          ))}
        </ul>
      </section>
    </main>
  );
}

function handedOver(j: TeamJob, job: Job): string {
  const r = job.result ?? {};
  const count = (key: string, one: string, many: string) => {
    const n = Number(r[key] ?? 0);
    return `${n} ${n === 1 ? one : many}`;
  };
  return (
    `${j.name} is ${j.action === 'suspend' ? 'suspended' : 'deleted'}. ` +
    `Handed to HQ: ${count('chats', 'chat', 'chats')}, ${count('channels', 'channel account', 'channel accounts')}, ` +
    `${count('contacts', 'contact', 'contacts')}; ${count('subTeams', 'sub-team', 'sub-teams')} moved up.`
  );
}

function CreateTeam(props: { ctx: WorkspaceContext; parents: Team[]; onCreated: () => void }) {
  const { ctx } = props;
  const [name, setName] = useState('');
  const [parentId, setParentId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    try {
      const r = await ctx.api.createTeam({ name, parentId: parentId || null });
      setError(null);
      setDone(`${r.team.name} is created.`);
      setName('');
      setParentId('');
      props.onCreated();
    } catch (err) {
      setDone(null);
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="create-team-title">
      <h3 id="create-team-title">Create a team</h3>
      <form
        class="create-team"
        aria-labelledby="create-team-title"
        onSubmit={(e) => void submit(e)}
      >
        <label>
          Team name
          <input
            name="name"
            required
            maxLength={100}
            autoComplete="off"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <label>
          Parent team
          <select
            name="parentId"
            value={parentId}
            onChange={(e) => setParentId(e.currentTarget.value)}
          >
            <option value="">None (a top-level team)</option>
            {props.parents.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy}>
          Create team
        </button>
      </form>
      {done ? <p role="status">{done}</p> : null}
      {error ? <p role="alert">{error}</p> : null}
    </section>
  );
}

function TeamRow(props: {
  ctx: WorkspaceContext;
  team: Team;
  depth: number;
  parent: Team | null;
  people: Array<Member & { user: { id: string } }>;
  onChanged: () => void;
  onJob: (jobId: string, action: 'suspend' | 'delete') => void;
}) {
  const { ctx, team, people } = props;
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [adding, setAdding] = useState('');
  const [confirming, setConfirming] = useState<'suspend' | 'delete' | null>(null);
  const suspended = team.status === 'suspended';
  const members = people.filter((m) => m.teamIds.includes(team.id));
  const others = people.filter((m) => !m.teamIds.includes(team.id) && m.status === 'active');
  const titleId = `team-${team.id}-name`;

  async function act(what: () => Promise<unknown>, said: string) {
    try {
      await what();
      setError(null);
      setDone(said);
      props.onChanged();
      return true;
    } catch (e) {
      setDone(null);
      setError(errorText(e));
      return false;
    }
  }

  return (
    <li
      class={`team depth-${Math.min(props.depth, 4)}${suspended ? ' suspended' : ''}`}
      data-team-id={team.id}
      data-team-name={team.name}
      data-status={team.status}
      aria-labelledby={titleId}
    >
      <div class="team-head">
        <h4 id={titleId}>{team.name}</h4>
        {suspended ? (
          <span class="team-status" data-field="status">
            Suspended
          </span>
        ) : null}
      </div>
      <p class="hint" data-field="parent">
        {props.parent ? `Part of ${props.parent.name}` : 'Top-level team'}
      </p>
      {members.length ? (
        <ul class="team-members" aria-label={`Members of ${team.name}`}>
          {members.map((m) => (
            <li key={m.user.id} data-member-id={m.user.id}>
              <span>
                {m.user.name || m.user.email} <span class="hint">({m.role})</span>
              </span>
              <button
                type="button"
                class="secondary small"
                onClick={() =>
                  void act(
                    () => ctx.api.setTeamMember(team.id, m.user.id, false),
                    `${m.user.name || m.user.email} is no longer in ${team.name}.`,
                  )
                }
              >
                Remove {m.user.name || m.user.email} from {team.name}
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p class="hint" data-field="no-members">
          No members.
        </p>
      )}
      <div class="team-actions">
        {!suspended && others.length ? (
          <form
            class="inline"
            aria-label={`Add a member to ${team.name}`}
            onSubmit={(e) => {
              e.preventDefault();
              const who = others.find((m) => m.user.id === adding);
              if (!who) return;
              void act(
                () => ctx.api.setTeamMember(team.id, who.user.id, true),
                `${who.user.name || who.user.email} is now in ${team.name}.`,
              ).then((ok) => ok && setAdding(''));
            }}
          >
            <label>
              Add to {team.name}
              <select required value={adding} onChange={(e) => setAdding(e.currentTarget.value)}>
                <option value="">Choose a member…</option>
                {others.map((m) => (
                  <option key={m.user.id} value={m.user.id}>
                    {m.user.name || m.user.email} ({m.role})
                  </option>
                ))}
              </select>
            </label>
            <button type="submit">Add member</button>
          </form>
        ) : null}
        {!confirming && !suspended ? (
          <button type="button" class="secondary" onClick={() => setConfirming('suspend')}>
            Suspend {team.name}…
          </button>
        ) : null}
        {!confirming ? (
          <button type="button" class="danger" onClick={() => setConfirming('delete')}>
            Delete {team.name}…
          </button>
        ) : null}
      </div>
      {confirming ? (
        <TeamConfirm
          team={team}
          action={confirming}
          onCancel={() => setConfirming(null)}
          onConfirm={async () => {
            try {
              const r =
                confirming === 'suspend'
                  ? await ctx.api.suspendTeam(team.id)
                  : await ctx.api.deleteTeam(team.id);
              setError(null);
              setDone(null);
              setConfirming(null);
              props.onJob(r.job.id, confirming);
              props.onChanged();
            } catch (e) {
              setError(errorText(e));
            }
          }}
        />
      ) : null}
      {done ? <p role="status">{done}</p> : null}
      {error ? <p role="alert">{error}</p> : null}
    </li>
  );
}

/** Suspending or deleting a team moves what it owns to HQ at once: asked for twice. */
function TeamConfirm(props: {
  team: Team;
  action: 'suspend' | 'delete';
  onCancel: () => void;
  onConfirm: () => Promise<void>;
}) {
  const { team, action } = props;
  const [busy, setBusy] = useState(false);
  // Keyboard users land in the confirmation they opened, on its harmless choice.
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  const verb = action === 'suspend' ? 'Suspend' : 'Delete';
  return (
    <form
      class="confirm"
      aria-label={`${verb} ${team.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        void props.onConfirm().finally(() => setBusy(false));
      }}
    >
      <p>
        {action === 'suspend' ? 'Suspending' : 'Deleting'} <strong>{team.name}</strong> ends the
        access it gives at once; its channel accounts, contacts and queued chats pass to HQ and its
        sub-teams move up.
        {action === 'delete' ? ' Deleting is final: its memberships end too.' : ''}
      </p>
      <div class="team-actions">
        <button type="submit" class="danger" disabled={busy}>
          {verb} team
        </button>
        <button ref={cancel} type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
