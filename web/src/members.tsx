import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Member, Restrictions } from './api.js';
import { JobProgress } from './job-progress.js';
import type { WorkspaceContext } from './app.js';
import { timeLabel, errorText } from './format.js';

/**
 * The members view for Owners and Admins (issue 21): everyone of the workspace and the pending
 * invitations; invite, change role, suspend, reinstate, revoke with reassign-to. The header
 * offers it only to roles that manage users; the server still decides every action, and its
 * refusal is shown as it words it.
 */

/** A role the user may give someone, as the server lists them (`grantableRoles`). */
type Role = { id: string; name: string };

const SWITCHES = [
  ['maskContactIdentifiers', 'Mask contacts’ phone numbers and emails'],
  ['noDataExport', 'No data export'],
  ['noWorkspaceSettings', 'No workspace settings'],
  ['noContactDeletion', 'No contact deletion'],
  ['noIntegrations', 'No integrations'],
  ['noChannelConnection', 'No channel connection'],
  ['noWorkflows', 'No workflows'],
] as const satisfies ReadonlyArray<readonly [keyof Restrictions, string]>;

export function MembersView(props: { ctx: WorkspaceContext }) {
  const { ctx } = props;
  const [members, setMembers] = useState<Member[] | null>(null);
  /** The roles the user may give (invite with, change to): the server's policy decides. */
  const [roles, setRoles] = useState<Role[]>([]);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    ctx.api.members().then(
      (r) => {
        setMembers(r.items);
        setRoles(r.grantableRoles);
        setError(null);
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, [ctx.api]);
  useEffect(reload, [reload]);
  /** Revokes started here: their progress stays in view after the member leaves the list. */
  const [jobs, setJobs] = useState<Array<{ id: string; label: string }>>([]);

  const active = (members ?? []).filter((m) => m.status !== 'pending' && m.status !== 'revoked');
  const pending = (members ?? []).filter((m) => m.status === 'pending');
  const revoked = (members ?? []).filter((m) => m.status === 'revoked');
  return (
    <main class="page members-page" id="page" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {error ? <p role="alert">{error}</p> : null}
      {members === null && !error ? <p role="status">Loading members…</p> : null}
      <InviteForm ctx={ctx} roles={roles} onInvited={reload} />
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
              roles={roles}
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
  roles: readonly Role[];
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
  const [restricting, setRestricting] = useState(false);
  // What the member's restrictions are: the list's, or the server's answer to a save here
  // (newer than a list still being re-read, so a form reopened at once starts from it).
  const [restrictions, setRestrictions] = useState<Restrictions>(member.restrictions);
  const listed = JSON.stringify(member.restrictions);
  useEffect(() => setRestrictions(JSON.parse(listed) as Restrictions), [listed]);
  // What the user may do to this member, as the server's member rules decide it (nobody acts
  // on themselves; only Owners act on Owners; …): the page offers nothing else, and the server
  // decides each action again.
  const may = member.may;
  const actionable = may ? Object.values(may).some(Boolean) : false;
  const label = member.user.name || member.user.email;

  /** Runs one action; says what happened, or the server's refusal as it words it. */
  async function act(what: () => Promise<unknown>, said: string): Promise<boolean> {
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

  if (!userId) return null;
  return (
    <li data-member-id={userId} data-member-email={member.user.email}>
      <MemberSummary member={member} />
      {!actionable ? null : (
        <div class="member-actions">
          {may?.changeRole ? (
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
                  {props.roles.map((r) => (
                    <option key={r.id} value={r.id}>
                      {r.name}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit">Change role</button>
            </form>
          ) : null}
          {may?.restrict && !restricting ? (
            <button type="button" class="secondary" onClick={() => setRestricting(true)}>
              Restrictions of {label}…
            </button>
          ) : null}
          {may?.suspend ? (
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
          {may?.reinstate ? (
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
          {may?.revoke && !revoking ? (
            <button type="button" class="danger" onClick={() => setRevoking(true)}>
              Revoke {label}…
            </button>
          ) : null}
        </div>
      )}
      {restricting ? (
        <RestrictionsForm
          label={label}
          current={restrictions}
          onCancel={() => setRestricting(false)}
          onSave={async (next) => {
            const saved = await act(async () => {
              const r = await ctx.api.changeMember(userId, { restrictions: next });
              setRestrictions(r.member.restrictions);
            }, `The restrictions of ${label} are saved.`);
            if (saved) setRestricting(false);
          }}
        />
      ) : null}
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

/** Follows the revoke's background job until it completes or fails (a shared JobProgress). */
function RevokeProgress(props: {
  ctx: WorkspaceContext;
  jobId: string;
  label: string;
  onFinished: () => void;
}) {
  const { label } = props;
  const chats = (n: number) => `${n} ${n === 1 ? 'chat' : 'chats'}`;
  return (
    <JobProgress
      api={props.ctx.api}
      jobId={props.jobId}
      label={`Revoking ${label}: chats handed over`}
      running={(job) => `${job.progress.done} of ${job.progress.total} chats`}
      completed={(job) =>
        `${label} is revoked. ${chats(Number(job.result?.moved ?? job.progress.done))} moved.`
      }
      failed={(job) =>
        `The background job failed after moving ${job.progress.done} of ${job.progress.total} chats; ${label}’s access has ended all the same.`
      }
      onFinished={props.onFinished}
    />
  );
}

function InviteForm(props: {
  ctx: WorkspaceContext;
  roles: readonly Role[];
  onInvited: () => void;
}) {
  const { ctx } = props;
  const [open, setOpen] = useState(false);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState('agent');
  const [restrictions, setRestrictions] = useState<Restrictions>({});
  const [teamIds, setTeamIds] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    try {
      const r = await ctx.api.invite({ email, name, role, teamIds, restrictions });
      setError(null);
      setLink({
        email: r.invitation.email,
        url: `${location.origin}/#/accept/${encodeURIComponent(r.invitation.token)}`,
      });
      setEmail('');
      setName('');
      setRestrictions({});
      setTeamIds([]);
      props.onInvited();
    } catch (err) {
      setError(errorText(err));
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
              {props.roles.map(({ id: key, name: label }) => (
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
          <RestrictionFields value={restrictions} onChange={setRestrictions} />
          <button type="submit">Send invitation</button>
          {error ? <p role="alert">{error}</p> : null}
        </form>
      ) : null}
    </section>
  );
}

/**
 * The restrictions an Owner or Admin sets on a member (PRODUCT.md §3.4), as one fieldset: the
 * invitation form and a member's "Restrictions" form both use it. Only keys that are set are
 * kept, so the object sent is exactly what the member will have.
 */
function RestrictionFields(props: {
  value: Restrictions;
  onChange: (next: Restrictions) => void;
  legend?: string;
}) {
  const { value } = props;
  const set = (key: keyof Restrictions, on: unknown) => {
    const next: Record<string, unknown> = { ...value };
    if (on) next[key] = on;
    else delete next[key];
    props.onChange(next);
  };
  return (
    <fieldset>
      <legend>{props.legend ?? 'Restrictions'}</legend>
      <label>
        Chat visibility
        <select
          value={value.chatVisibility ?? ''}
          onChange={(e) => set('chatVisibility', e.currentTarget.value || undefined)}
        >
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
            checked={value[key] === true}
            onChange={(e) => set(key, e.currentTarget.checked)}
          />
          {label}
        </label>
      ))}
    </fieldset>
  );
}

/** A member's restrictions, changed in place: the form starts from what they have now. */
function RestrictionsForm(props: {
  label: string;
  current: Restrictions;
  onSave: (next: Restrictions) => Promise<void>;
  onCancel: () => void;
}) {
  const [value, setValue] = useState<Restrictions>(props.current);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  // Keyboard users land in the form they opened.
  useEffect(() => form.current?.querySelector<HTMLElement>('select, input')?.focus(), []);
  return (
    <form
      ref={form}
      class="confirm stack"
      aria-label={`Restrictions of ${props.label}`}
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        void props.onSave(value).finally(() => setBusy(false));
      }}
    >
      <RestrictionFields
        value={value}
        onChange={setValue}
        legend={`Restrictions of ${props.label}`}
      />
      <div class="member-actions">
        <button type="submit" disabled={busy}>
          Save restrictions
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
