import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Job, Member, Restrictions } from './api.js';
import type { WorkspaceContext } from './app.js';
import { timeLabel } from './format.js';

/**
 * The members view for Owners and Admins (issue 21): everyone of the workspace and the pending
 * invitations; invite, change role, suspend, reinstate, revoke with reassign-to. The header
 * offers it only to roles that manage users; the server still decides every action, and its
 * refusal is shown as it words it.
 */

/** Roles offered when inviting or changing a role; the server refuses what the actor may not grant. */
const ROLES = [
  ['admin', 'Admin'],
  ['teammate', 'Teammate'],
  ['agent', 'Agent'],
  ['collaborator', 'Collaborator'],
] as const;

const SWITCHES = [
  ['maskContactIdentifiers', 'Mask contacts’ phone numbers and emails'],
  ['noDataExport', 'No data export'],
  ['noWorkspaceSettings', 'No workspace settings'],
  ['noContactDeletion', 'No contact deletion'],
  ['noIntegrations', 'No integrations'],
  ['noChannelConnection', 'No channel connection'],
  ['noWorkflows', 'No workflows'],
] as const satisfies ReadonlyArray<readonly [keyof Restrictions, string]>;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function MembersView(props: { ctx: WorkspaceContext }) {
  const { ctx } = props;
  const [members, setMembers] = useState<Member[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    ctx.api.members().then(
      (r) => {
        setMembers(r.items);
        setError(null);
      },
      (e: unknown) => setError(message(e)),
    );
  }, [ctx.api]);
  useEffect(reload, [reload]);
  /** Revokes started here: their progress stays in view after the member leaves the list. */
  const [jobs, setJobs] = useState<Array<{ id: string; label: string }>>([]);

  const active = (members ?? []).filter((m) => m.status !== 'pending' && m.status !== 'revoked');
  const pending = (members ?? []).filter((m) => m.status === 'pending');
  const revoked = (members ?? []).filter((m) => m.status === 'revoked');
  return (
    <main class="members-page" id="members" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {error ? <p role="alert">{error}</p> : null}
      {members === null && !error ? <p role="status">Loading members…</p> : null}
      <InviteForm ctx={ctx} onInvited={reload} />
      {jobs.map((j) => (
        <RevokeProgress key={j.id} ctx={ctx} jobId={j.id} label={j.label} onFinished={reload} />
      ))}
      <section aria-labelledby="people-title">
        <h3 id="people-title">People</h3>
        <ul class="member-list">
          {active.map((m) => (
            <MemberRow
              key={m.user.id ?? m.user.email}
              ctx={ctx}
              member={m}
              heirs={active.filter((h) => h.status === 'active' && h.user.id !== m.user.id)}
              onChanged={reload}
              onRevoking={(id, label) => setJobs((js) => [...js, { id, label }])}
            />
          ))}
        </ul>
      </section>
      {pending.length ? (
        <section aria-labelledby="pending-title">
          <h3 id="pending-title">Pending invitations</h3>
          <ul class="member-list">
            {pending.map((m) => (
              <li key={m.invitationId ?? m.user.email} data-member-email={m.user.email}>
                <MemberSummary member={m} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {revoked.length ? (
        <section aria-labelledby="revoked-title">
          <h3 id="revoked-title">Revoked</h3>
          <ul class="member-list">
            {revoked.map((m) => (
              <li key={m.user.id ?? m.user.email} data-member-email={m.user.email}>
                <MemberSummary member={m} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </main>
  );
}

function presence(m: Member): string {
  if (m.status === 'pending') return 'Invited';
  if (m.online) return 'Online';
  return m.lastSeenAt ? `Last seen ${timeLabel(m.lastSeenAt)}` : 'Never seen';
}

function MemberSummary(props: { member: Member }) {
  const m = props.member;
  return (
    <div class="member-summary">
      <strong>{m.user.name}</strong> <span class="hint">{m.user.email}</span>
      <div class="member-facts">
        <span data-field="role">{m.role}</span>
        <span data-field="status" class={`member-status ${m.status}`}>
          {m.status}
        </span>
        <span data-field="presence" class={m.online ? 'online' : ''}>
          {presence(m)}
        </span>
      </div>
    </div>
  );
}

function MemberRow(props: {
  ctx: WorkspaceContext;
  member: Member;
  heirs: Member[];
  onChanged: () => void;
  onRevoking: (jobId: string, label: string) => void;
}) {
  const { ctx, member } = props;
  const userId = member.user.id;
  const [role, setRole] = useState(member.role);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [revoking, setRevoking] = useState(false);
  const self = userId === ctx.session.userId;
  const label = member.user.name || member.user.email;

  async function act(what: () => Promise<unknown>, said: string) {
    try {
      await what();
      setError(null);
      setDone(said);
      props.onChanged();
    } catch (e) {
      setDone(null);
      setError(message(e));
    }
  }

  if (!userId) return null;
  return (
    <li data-member-id={userId} data-member-email={member.user.email}>
      <MemberSummary member={member} />
      {self || member.role === 'owner' ? null : (
        <div class="member-actions">
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              void act(() => ctx.api.changeMember(userId, { role }), `Role changed to ${role}.`);
            }}
          >
            <label>
              Role of {label}
              <select value={role} onChange={(e) => setRole(e.currentTarget.value)}>
                {ROLES.map(([key, name]) => (
                  <option key={key} value={key}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit">Change role</button>
          </form>
          {member.status === 'active' ? (
            <button
              type="button"
              class="secondary"
              onClick={() =>
                void act(() => ctx.api.setMemberStatus(userId, 'suspend'), `${label} is suspended.`)
              }
            >
              Suspend {label}
            </button>
          ) : null}
          {member.status === 'suspended' ? (
            <button
              type="button"
              class="secondary"
              onClick={() =>
                void act(
                  () => ctx.api.setMemberStatus(userId, 'reinstate'),
                  `${label} is reinstated.`,
                )
              }
            >
              Reinstate {label}
            </button>
          ) : null}
          {!revoking ? (
            <button type="button" class="danger" onClick={() => setRevoking(true)}>
              Revoke {label}…
            </button>
          ) : null}
        </div>
      )}
      {revoking ? (
        <RevokeConfirm
          label={label}
          heirs={props.heirs}
          onCancel={() => setRevoking(false)}
          onConfirm={async (heir) => {
            try {
              const r = await ctx.api.revoke(userId, heir);
              setError(null);
              setRevoking(false);
              props.onRevoking(r.job.id, label);
              props.onChanged();
            } catch (e) {
              setError(message(e));
            }
          }}
        />
      ) : null}
      {done ? <p role="status">{done}</p> : null}
      {error ? <p role="alert">{error}</p> : null}
    </li>
  );
}

/** The confirmation step of a revoke: revoking is final, so it is asked for twice. */
function RevokeConfirm(props: {
  label: string;
  heirs: Member[];
  onCancel: () => void;
  onConfirm: (heir: string | null) => Promise<void>;
}) {
  const [heir, setHeir] = useState('');
  const [busy, setBusy] = useState(false);
  // Keyboard users land in the confirmation they opened.
  const first = useRef<HTMLSelectElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <form
      class="confirm"
      aria-label={`Revoke ${props.label}`}
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        void props.onConfirm(heir || null).finally(() => setBusy(false));
      }}
    >
      <p>
        Revoking <strong>{props.label}</strong> is final: their access ends at once and their chats
        are handed over.
      </p>
      <label>
        Reassign their chats to
        <select ref={first} value={heir} onChange={(e) => setHeir(e.currentTarget.value)}>
          <option value="">Nobody (unassigned)</option>
          {props.heirs.map((h) => (
            <option key={h.user.id} value={h.user.id ?? ''}>
              {h.user.name} ({h.role})
            </option>
          ))}
        </select>
      </label>
      <div class="member-actions">
        <button type="submit" class="danger" disabled={busy}>
          Revoke access
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const POLL_MS = 500;

/** Follows the revoke's background job (GET /v1/jobs/:id) until it completes or fails. */
function RevokeProgress(props: {
  ctx: WorkspaceContext;
  jobId: string;
  label: string;
  onFinished: () => void;
}) {
  const { ctx, jobId } = props;
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  const finished = props.onFinished;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = () => {
      ctx.api.job(jobId).then(
        (j) => {
          if (stopped) return;
          setJob(j);
          if (j.state === 'completed' || j.state === 'failed') finished();
          else timer = setTimeout(poll, POLL_MS);
        },
        (e: unknown) => {
          if (!stopped) setError(message(e));
        },
      );
    };
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [ctx.api, jobId, finished]);

  const over = job?.state === 'completed' || job?.state === 'failed';
  const total = job?.progress.total ?? 0;
  // A finished job fills the bar even when it had nothing to move (total 0).
  const max = Math.max(total, 1);
  const value = over ? max : Math.min(job?.progress.done ?? 0, max);
  const moved = Number(job?.result?.moved ?? job?.progress.done ?? 0);
  return (
    <div class="job" data-job-id={jobId} data-state={job?.state ?? 'waiting'}>
      <label>
        Revoking {props.label}: chats handed over
        <progress max={max} value={job ? value : undefined} />
      </label>
      {job?.state === 'completed' ? (
        <p role="status">
          {props.label} is revoked. {moved} {moved === 1 ? 'chat' : 'chats'} moved.
        </p>
      ) : job?.state === 'failed' ? (
        <p role="alert">
          The background job failed after moving {job.progress.done} of {job.progress.total} chats;{' '}
          {props.label}’s access has ended all the same.
        </p>
      ) : (
        <p class="hint" aria-live="polite">
          {job ? `${job.progress.done} of ${job.progress.total} chats` : 'Starting…'}
        </p>
      )}
      {error ? <p role="alert">{error}</p> : null}
    </div>
  );
}

function InviteForm(props: { ctx: WorkspaceContext; onInvited: () => void }) {
  const { ctx } = props;
  const [open, setOpen] = useState(false);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState('agent');
  const [visibility, setVisibility] = useState('');
  const [switches, setSwitches] = useState<Partial<Record<keyof Restrictions, boolean>>>({});
  const [teamIds, setTeamIds] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    const restrictions: Restrictions = {};
    for (const [key] of SWITCHES) if (switches[key]) restrictions[key] = true;
    if (visibility === 'team' || visibility === 'self') restrictions.chatVisibility = visibility;
    try {
      const r = await ctx.api.invite({ email, name, role, teamIds, restrictions });
      setError(null);
      setLink({
        email: r.invitation.email,
        url: `${location.origin}/#/accept/${encodeURIComponent(r.invitation.token)}`,
      });
      setEmail('');
      setName('');
      setSwitches({});
      setVisibility('');
      setTeamIds([]);
      props.onInvited();
    } catch (err) {
      setError(message(err));
    }
  }

  return (
    <section aria-labelledby="invite-title" class="invite">
      <h3 id="invite-title">
        <button
          type="button"
          class="secondary"
          aria-expanded={open}
          aria-controls="invite-form"
          onClick={() => setOpen(!open)}
        >
          Invite someone
        </button>
      </h3>
      {link ? (
        <p role="status">
          {link.email} is invited. Send them this link:{' '}
          <input readOnly aria-label="Invitation link" value={link.url} />
        </p>
      ) : null}
      {open ? (
        <form id="invite-form" class="stack" onSubmit={(e) => void submit(e)}>
          <label>
            Email
            <input
              type="email"
              name="email"
              required
              autoComplete="off"
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </label>
          <label>
            Name
            <input
              name="name"
              required
              autoComplete="off"
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <label>
            Role
            <select name="role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
              {ROLES.map(([key, label]) => (
                <option key={key} value={key}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          {ctx.teams.length ? (
            <fieldset>
              <legend>Teams</legend>
              {ctx.teams.map((t) => (
                <label key={t.id} class="check">
                  <input
                    type="checkbox"
                    checked={teamIds.includes(t.id)}
                    onChange={(e) =>
                      setTeamIds(
                        e.currentTarget.checked
                          ? [...teamIds, t.id]
                          : teamIds.filter((x) => x !== t.id),
                      )
                    }
                  />
                  {t.name}
                </label>
              ))}
            </fieldset>
          ) : null}
          <fieldset>
            <legend>Restrictions</legend>
            <label>
              Chat visibility
              <select value={visibility} onChange={(e) => setVisibility(e.currentTarget.value)}>
                <option value="">As the role allows</option>
                <option value="team">Self and own team</option>
                <option value="self">Self only</option>
              </select>
            </label>
            {SWITCHES.map(([key, label]) => (
              <label key={key} class="check">
                <input
                  type="checkbox"
                  name={key}
                  checked={switches[key] ?? false}
                  onChange={(e) => setSwitches({ ...switches, [key]: e.currentTarget.checked })}
                />
                {label}
              </label>
            ))}
          </fieldset>
          <button type="submit">Send invitation</button>
          {error ? <p role="alert">{error}</p> : null}
        </form>
      ) : null}
    </section>
  );
}
