import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type RoutingCondition, type RoutingRule, type RoutingRuleInput } from './api.js';
import type { WorkspaceContext } from './app.js';
import './routing.css';
import { errorText } from './format.js';

/**
 * The routing rules view for those who manage workspace settings (issue 21; PRODUCT.md §4):
 * the rules in the order they are tried, what each matches and where it sends a chat; add,
 * edit, delete and reorder them (move up / down, by keyboard too). The forms cover the whole
 * rule shape of src/core/routing/rules.ts: channel, contact-field, keyword and pattern
 * conditions; a team target with its strategy, or one person. The server validates every rule
 * and its refusal (a 422 with details) is shown as it words it.
 */

type Kind = RoutingCondition['kind'];
type Strategy = RoutingRuleInput['strategy'];
type Fallback = RoutingRuleInput['stickyFallback'];

const KINDS: ReadonlyArray<readonly [Kind, string]> = [
  ['channel', 'Came in on a channel account'],
  ['contact_field', 'A contact field'],
  ['keyword', 'First message has a word or phrase'],
  ['regex', 'First message matches a pattern'],
];
const STRATEGIES: ReadonlyArray<readonly [Strategy, string]> = [
  ['round_robin', 'Round robin (in turn)'],
  ['least_open', 'Least open chats'],
  ['sticky', 'Sticky (the contact’s last assignee)'],
];
const FALLBACKS: ReadonlyArray<readonly [Fallback, string]> = [
  ['least_open', 'Least open chats'],
  ['round_robin', 'Round robin (in turn)'],
];
const strategyName = (s: string) =>
  ({ round_robin: 'round robin', least_open: 'least open chats', sticky: 'sticky' })[s] ?? s;

/** A condition as the form edits it: every kind's inputs, so switching kind loses nothing. */
interface ConditionDraft {
  key: number;
  kind: Kind;
  channelIds: string[];
  field: 'name' | 'phone' | 'email' | 'custom';
  customField: string;
  op: 'equals' | 'contains' | 'is_set';
  value: string;
  keyword: string;
  pattern: string;
  caseSensitive: boolean;
}

interface Draft {
  name: string;
  enabled: boolean;
  conditions: ConditionDraft[];
  targetType: 'team' | 'user';
  teamId: string;
  userId: string;
  strategy: Strategy;
  stickyFallback: Fallback;
}

let nextKey = 1;
function blankCondition(kind: Kind = 'keyword'): ConditionDraft {
  return {
    key: nextKey++,
    kind,
    channelIds: [],
    field: 'email',
    customField: '',
    op: 'contains',
    value: '',
    keyword: '',
    pattern: '',
    caseSensitive: false,
  };
}

const blankDraft = (): Draft => ({
  name: '',
  enabled: true,
  conditions: [],
  targetType: 'team',
  teamId: '',
  userId: '',
  strategy: 'round_robin',
  stickyFallback: 'least_open',
});

function draftOf(rule: RoutingRule): Draft {
  return {
    name: rule.name,
    enabled: rule.enabled,
    conditions: rule.conditions.map((c) => {
      const d = blankCondition(c.kind);
      switch (c.kind) {
        case 'channel':
          return { ...d, channelIds: [...c.channelIds] };
        case 'contact_field': {
          const custom = c.field.startsWith('fields.');
          return {
            ...d,
            field: custom ? 'custom' : (c.field as ConditionDraft['field']),
            customField: custom ? c.field.slice('fields.'.length) : '',
            op: c.op,
            value: c.op === 'is_set' ? '' : c.value,
          };
        }
        case 'keyword':
          return { ...d, keyword: c.keyword };
        case 'regex':
          return { ...d, pattern: c.pattern, caseSensitive: c.caseSensitive };
      }
    }),
    targetType: rule.target.type,
    teamId: rule.target.type === 'team' ? rule.target.teamId : '',
    userId: rule.target.type === 'user' ? rule.target.userId : '',
    strategy: rule.strategy,
    stickyFallback: rule.stickyFallback,
  };
}

/** The rule the API is sent: only what the chosen kinds and target use. */
function inputOf(d: Draft): RoutingRuleInput {
  return {
    name: d.name,
    enabled: d.enabled,
    conditions: d.conditions.map((c): RoutingCondition => {
      switch (c.kind) {
        case 'channel':
          return { kind: 'channel', channelIds: c.channelIds };
        case 'contact_field': {
          const field = c.field === 'custom' ? `fields.${c.customField.trim()}` : c.field;
          return c.op === 'is_set'
            ? { kind: 'contact_field', field, op: 'is_set' }
            : { kind: 'contact_field', field, op: c.op, value: c.value };
        }
        case 'keyword':
          return { kind: 'keyword', keyword: c.keyword };
        case 'regex':
          return { kind: 'regex', pattern: c.pattern, caseSensitive: c.caseSensitive };
      }
    }),
    target:
      d.targetType === 'team'
        ? { type: 'team', teamId: d.teamId }
        : { type: 'user', userId: d.userId },
    strategy: d.strategy,
    stickyFallback: d.stickyFallback,
  };
}

/** A refusal as the server words it: its message and, for bad input, each detail. */
interface Refusal {
  message: string;
  details: Array<{ where: string; message: string }>;
}

/** "body.conditions.0.pattern" → "condition 1, pattern": where the problem is, in the form's terms. */
function whereOf(path: string): string {
  const parts = path
    .replace(/^body\.?/, '')
    .split('.')
    .filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    const next = parts[i + 1];
    if (part === 'conditions' && next !== undefined && /^\d+$/.test(next)) {
      out.push(`condition ${Number(next) + 1}`);
      i++;
    } else out.push(part);
  }
  return out.join(', ');
}

function refusalOf(e: unknown): Refusal {
  if (e instanceof ApiError)
    return {
      message: e.message,
      details: e.details.map((d) => ({ where: whereOf(d.path), message: d.message })),
    };
  return { message: errorText(e), details: [] };
}

function RefusalAlert(props: { refusal: Refusal | null }) {
  const r = props.refusal;
  if (!r) return null;
  return (
    <div role="alert" class="refusal">
      <p data-field="message">{r.message}</p>
      {r.details.length ? (
        <ul>
          {r.details.map((d, i) => (
            <li key={i} data-field="detail">
              {d.where ? <span class="where">{d.where}: </span> : null}
              {d.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

const byPosition = (a: RoutingRule, b: RoutingRule) =>
  a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function RoutingView(props: { ctx: WorkspaceContext }) {
  const { ctx } = props;
  const { api } = ctx;
  const [rules, setRules] = useState<RoutingRule[] | null>(null);
  const [error, setError] = useState<Refusal | null>(null);
  /** What the last action did, for everyone (a screen reader too): the page's live region. */
  const [notice, setNotice] = useState('');
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  /** After a move the moved rule's control keeps the focus: which rule, which button. */
  const focusAfter = useRef<{ ruleId: string; control: string } | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const newButton = useRef<HTMLButtonElement>(null);

  const reload = useCallback(() => {
    api.routingRules().then(
      (r) => {
        setRules([...r.items].sort(byPosition));
        setError(null);
      },
      (e: unknown) => setError(refusalOf(e)),
    );
  }, [api]);
  useEffect(reload, [reload]);

  useEffect(() => {
    const want = focusAfter.current;
    if (!want || !list.current) return;
    const row = list.current.querySelector(`li[data-rule-id="${CSS.escape(want.ruleId)}"]`);
    // A rule just created is not listed until the reload answers: wait for that render.
    if (!row) return;
    focusAfter.current = null;
    const buttons = [want.control, 'move-up', 'move-down', 'edit'].map((c) =>
      row.querySelector<HTMLButtonElement>(`button[data-control="${c}"]`),
    );
    buttons.find((b) => b && !b.disabled)?.focus();
  });

  const ordered = rules ?? [];

  async function move(rule: RoutingRule, by: -1 | 1) {
    const from = ordered.findIndex((r) => r.id === rule.id);
    const to = from + by;
    if (from < 0 || to < 0 || to >= ordered.length) return;
    const ids = ordered.map((r) => r.id);
    [ids[from], ids[to]] = [ids[to] ?? '', ids[from] ?? ''];
    try {
      const r = await api.reorderRoutingRules(ids);
      focusAfter.current = { ruleId: rule.id, control: by < 0 ? 'move-up' : 'move-down' };
      setRules([...r.items].sort(byPosition));
      setError(null);
      setNotice(`${rule.name} is now tried ${ordinal(to + 1)}.`);
    } catch (e) {
      setError(refusalOf(e));
      reload();
    }
  }

  return (
    <main class="page routing-page" id="page" aria-labelledby="routing-title">
      <h2 id="routing-title">Routing rules</h2>
      <p class="hint">
        A new inbound chat is tried against these rules in order; the first that matches sends it to
        a team (one of whose members a strategy picks) or to one person.
      </p>
      <p role="status" class="notice">
        {notice}
      </p>
      <RefusalAlert refusal={error} />
      {rules === null && !error ? <p class="hint">Loading rules…</p> : null}
      <section aria-labelledby="rule-list-title">
        <h3 id="rule-list-title">Rules, in the order they are tried</h3>
        {rules !== null && ordered.length === 0 ? (
          <p class="hint">No rules yet: new chats stay unassigned.</p>
        ) : null}
        <ol class="rule-list" ref={list}>
          {ordered.map((rule, i) => (
            <RuleRow
              key={rule.id}
              ctx={ctx}
              rule={rule}
              index={i}
              count={ordered.length}
              editing={editing === rule.id}
              onEdit={() => setEditing(rule.id)}
              onCancelEdit={() => {
                focusAfter.current = { ruleId: rule.id, control: 'edit' };
                setEditing(null);
              }}
              onSaved={(saved) => {
                focusAfter.current = { ruleId: saved.id, control: 'edit' };
                setEditing(null);
                setRules((rs) => (rs ?? []).map((r) => (r.id === saved.id ? saved : r)));
                setNotice(`${saved.name} is saved.`);
              }}
              onMove={(by) => void move(rule, by)}
              onDeleted={() => {
                setRules((rs) => (rs ?? []).filter((r) => r.id !== rule.id));
                setNotice(`${rule.name} is deleted.`);
                newButton.current?.focus();
                reload();
              }}
            />
          ))}
        </ol>
      </section>
      <section aria-labelledby="new-rule-title">
        <h3 id="new-rule-title">
          <button
            ref={newButton}
            type="button"
            class="secondary"
            aria-expanded={creating}
            aria-controls="new-rule-form"
            onClick={() => setCreating(!creating)}
          >
            Add a rule
          </button>
        </h3>
        {creating ? (
          <RuleForm
            ctx={ctx}
            id="new-rule-form"
            label="New routing rule"
            initial={blankDraft()}
            submitLabel="Create rule"
            onCancel={() => {
              setCreating(false);
              newButton.current?.focus();
            }}
            onSubmit={async (input) => {
              const r = await api.createRoutingRule(input);
              setCreating(false);
              setNotice(`${r.rule.name} is added; it is tried ${ordinal(r.rule.position + 1)}.`);
              focusAfter.current = { ruleId: r.rule.id, control: 'edit' };
              reload();
            }}
          />
        ) : null}
      </section>
    </main>
  );
}

function ordinal(n: number): string {
  const words = ['first', 'second', 'third', 'fourth', 'fifth'];
  return words[n - 1] ?? `number ${n}`;
}

function RuleRow(props: {
  ctx: WorkspaceContext;
  rule: RoutingRule;
  index: number;
  count: number;
  editing: boolean;
  onEdit: () => void;
  onCancelEdit: () => void;
  onSaved: (rule: RoutingRule) => void;
  onMove: (by: -1 | 1) => void;
  onDeleted: () => void;
}) {
  const { ctx, rule } = props;
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<Refusal | null>(null);
  const titleId = `rule-${rule.id}-name`;
  return (
    <li
      class={`rule${rule.enabled ? '' : ' disabled'}`}
      data-rule-id={rule.id}
      data-rule-name={rule.name}
      aria-labelledby={titleId}
    >
      <div class="rule-head">
        <span class="rule-number" aria-hidden="true">
          {props.index + 1}
        </span>
        <h4 id={titleId}>{rule.name}</h4>
        {rule.enabled ? null : (
          <span class="rule-off" data-field="enabled">
            Off
          </span>
        )}
      </div>
      {props.editing ? (
        <RuleForm
          ctx={ctx}
          id={`edit-rule-${rule.id}`}
          label={`Edit rule ${rule.name}`}
          initial={draftOf(rule)}
          submitLabel="Save rule"
          onCancel={props.onCancelEdit}
          onSubmit={async (input) => {
            const r = await ctx.api.updateRoutingRule(rule.id, input);
            props.onSaved(r.rule);
          }}
        />
      ) : (
        <>
          <RuleSummary ctx={ctx} rule={rule} />
          <div class="rule-actions">
            <button
              type="button"
              class="secondary"
              data-control="move-up"
              disabled={props.index === 0}
              aria-label={`Move up: ${rule.name}`}
              onClick={() => props.onMove(-1)}
            >
              Move up
            </button>
            <button
              type="button"
              class="secondary"
              data-control="move-down"
              disabled={props.index === props.count - 1}
              aria-label={`Move down: ${rule.name}`}
              onClick={() => props.onMove(1)}
            >
              Move down
            </button>
            <button
              type="button"
              data-control="edit"
              aria-label={`Edit: ${rule.name}`}
              onClick={props.onEdit}
            >
              Edit
            </button>
            {!deleting ? (
              <button
                type="button"
                class="danger"
                data-control="delete"
                aria-label={`Delete: ${rule.name}…`}
                onClick={() => setDeleting(true)}
              >
                Delete…
              </button>
            ) : null}
          </div>
          {deleting ? (
            <DeleteConfirm
              name={rule.name}
              onCancel={() => setDeleting(false)}
              onConfirm={async () => {
                try {
                  await ctx.api.deleteRoutingRule(rule.id);
                  props.onDeleted();
                } catch (e) {
                  setError(refusalOf(e));
                }
              }}
            />
          ) : null}
          <RefusalAlert refusal={error} />
        </>
      )}
    </li>
  );
}

function DeleteConfirm(props: {
  name: string;
  onCancel: () => void;
  onConfirm: () => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  return (
    <form
      class="confirm"
      aria-label={`Delete rule ${props.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        void props.onConfirm().finally(() => setBusy(false));
      }}
    >
      <p>
        Delete <strong>{props.name}</strong>? New chats are no longer routed by it; the chats it
        routed keep their assignees.
      </p>
      <div class="rule-actions">
        <button type="submit" class="danger" disabled={busy}>
          Delete rule
        </button>
        <button ref={cancel} type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** What a rule matches and where it routes, in words, from the shell's members/teams/channels. */
function RuleSummary(props: { ctx: WorkspaceContext; rule: RoutingRule }) {
  const { ctx, rule } = props;
  const channel = (id: string) =>
    ctx.channels.find((c) => c.id === id)?.name ?? 'an account not listed';
  const describe = (c: RoutingCondition): string => {
    switch (c.kind) {
      case 'channel':
        return `came in on ${c.channelIds.map(channel).join(' or ')}`;
      case 'contact_field': {
        const field = c.field.startsWith('fields.')
          ? `contact field “${c.field.slice('fields.'.length)}”`
          : `contact’s ${c.field}`;
        return c.op === 'is_set'
          ? `${field} is set`
          : `${field} ${c.op === 'equals' ? 'equals' : 'contains'} “${c.value}”`;
      }
      case 'keyword':
        return `first message has the word “${c.keyword}”`;
      case 'regex':
        return `first message matches /${c.pattern}/${c.caseSensitive ? ' (case-sensitive)' : ''}`;
    }
  };
  const target =
    rule.target.type === 'team'
      ? (() => {
          const id = rule.target.teamId;
          const team = ctx.teams.find((t) => t.id === id)?.name ?? 'a team no longer active';
          const how =
            rule.strategy === 'sticky'
              ? `sticky, else ${strategyName(rule.stickyFallback)}`
              : strategyName(rule.strategy);
          return `team ${team} (${how})`;
        })()
      : (() => {
          const id = rule.target.userId;
          const m = ctx.members.find((x) => x.user.id === id);
          return m ? m.user.name || m.user.email : 'a member not listed';
        })();
  return (
    <div class="rule-summary">
      {rule.conditions.length === 0 ? (
        <p data-field="matches">Matches every chat.</p>
      ) : (
        <div data-field="matches">
          <p>Matches a chat when:</p>
          <ul>
            {rule.conditions.map((c, i) => (
              <li key={i}>{describe(c)}</li>
            ))}
          </ul>
        </div>
      )}
      <p data-field="target">Routes to {target}.</p>
    </div>
  );
}

/** Create or edit a rule: every part of the rule shape, each input labelled. */
function RuleForm(props: {
  ctx: WorkspaceContext;
  id: string;
  label: string;
  initial: Draft;
  submitLabel: string;
  onCancel: () => void;
  onSubmit: (input: RoutingRuleInput) => Promise<void>;
}) {
  const { ctx } = props;
  const [draft, setDraft] = useState<Draft>(props.initial);
  const [error, setError] = useState<Refusal | null>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const set = (change: Partial<Draft>) => setDraft((d) => ({ ...d, ...change }));
  const setCondition = (key: number, change: Partial<ConditionDraft>) =>
    setDraft((d) => ({
      ...d,
      conditions: d.conditions.map((c) => (c.key === key ? { ...c, ...change } : c)),
    }));

  const people = ctx.members.filter(
    (m): m is typeof m & { user: { id: string } } => m.user.id !== null && m.status === 'active',
  );
  // A target no longer offered (a suspended team, a revoked member) stays visible as it is.
  const teamKnown = !draft.teamId || ctx.teams.some((t) => t.id === draft.teamId);
  const userKnown = !draft.userId || people.some((m) => m.user.id === draft.userId);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    try {
      await props.onSubmit(inputOf(draft));
      setError(null);
    } catch (err) {
      setError(refusalOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form id={props.id} class="rule-form" aria-label={props.label} onSubmit={(e) => void submit(e)}>
      <div class="row">
        <label class="grow">
          Rule name
          <input
            ref={first}
            name="name"
            required
            maxLength={100}
            autoComplete="off"
            value={draft.name}
            onInput={(e) => set({ name: e.currentTarget.value })}
          />
        </label>
        <label class="check">
          <input
            type="checkbox"
            name="enabled"
            checked={draft.enabled}
            onChange={(e) => set({ enabled: e.currentTarget.checked })}
          />
          Enabled
        </label>
      </div>

      <fieldset class="conditions">
        <legend>Conditions (every one must hold; none: every chat)</legend>
        {draft.conditions.map((c, i) => (
          <ConditionEditor
            key={c.key}
            ctx={ctx}
            number={i + 1}
            condition={c}
            onChange={(change) => setCondition(c.key, change)}
            onRemove={() =>
              setDraft((d) => ({ ...d, conditions: d.conditions.filter((x) => x.key !== c.key) }))
            }
          />
        ))}
        <div>
          <button
            type="button"
            class="secondary"
            onClick={() => set({ conditions: [...draft.conditions, blankCondition()] })}
          >
            Add a condition
          </button>
        </div>
      </fieldset>

      <fieldset class="target">
        <legend>Where a matching chat goes</legend>
        <div class="row">
          <label>
            Route to
            <select
              name="targetType"
              value={draft.targetType}
              onChange={(e) => set({ targetType: e.currentTarget.value as Draft['targetType'] })}
            >
              <option value="team">A team</option>
              <option value="user">One person</option>
            </select>
          </label>
          {draft.targetType === 'team' ? (
            <label class="grow">
              Team
              <select
                name="teamId"
                required
                value={draft.teamId}
                onChange={(e) => set({ teamId: e.currentTarget.value })}
              >
                <option value="">Choose a team…</option>
                {ctx.teams.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
                {teamKnown ? null : <option value={draft.teamId}>A team no longer active</option>}
              </select>
            </label>
          ) : (
            <label class="grow">
              Person
              <select
                name="userId"
                required
                value={draft.userId}
                onChange={(e) => set({ userId: e.currentTarget.value })}
              >
                <option value="">Choose a person…</option>
                {people.map((m) => (
                  <option key={m.user.id} value={m.user.id}>
                    {m.user.name || m.user.email} ({m.role})
                  </option>
                ))}
                {userKnown ? null : <option value={draft.userId}>A member no longer active</option>}
              </select>
            </label>
          )}
        </div>
        {draft.targetType === 'team' ? (
          <div class="row">
            <label class="grow">
              How a member of the team is picked
              <select
                name="strategy"
                value={draft.strategy}
                onChange={(e) => set({ strategy: e.currentTarget.value as Strategy })}
              >
                {STRATEGIES.map(([key, name]) => (
                  <option key={key} value={key}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
            {draft.strategy === 'sticky' ? (
              <label class="grow">
                When the last assignee cannot take it
                <select
                  name="stickyFallback"
                  value={draft.stickyFallback}
                  onChange={(e) => set({ stickyFallback: e.currentTarget.value as Fallback })}
                >
                  {FALLBACKS.map(([key, name]) => (
                    <option key={key} value={key}>
                      {name}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
          </div>
        ) : null}
      </fieldset>

      <div class="rule-actions">
        <button type="submit" disabled={busy}>
          {props.submitLabel}
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
      <RefusalAlert refusal={error} />
    </form>
  );
}

function ConditionEditor(props: {
  ctx: WorkspaceContext;
  number: number;
  condition: ConditionDraft;
  onChange: (change: Partial<ConditionDraft>) => void;
  onRemove: () => void;
}) {
  const { ctx, condition: c, onChange } = props;
  return (
    <fieldset class="condition" data-condition={props.number}>
      <legend>Condition {props.number}</legend>
      <div class="row">
        <label class="grow">
          Kind
          <select
            value={c.kind}
            onChange={(e) => onChange({ kind: e.currentTarget.value as Kind })}
          >
            {KINDS.map(([key, name]) => (
              <option key={key} value={key}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          class="secondary"
          aria-label={`Remove condition ${props.number}`}
          onClick={props.onRemove}
        >
          Remove
        </button>
      </div>
      {c.kind === 'channel' ? (
        <fieldset class="channels">
          <legend>Channel accounts (any of them)</legend>
          {ctx.channels.length === 0 ? <p class="hint">No channel accounts are listed.</p> : null}
          {ctx.channels.map((ch) => (
            <label key={ch.id} class="check">
              <input
                type="checkbox"
                checked={c.channelIds.includes(ch.id)}
                onChange={(e) =>
                  onChange({
                    channelIds: e.currentTarget.checked
                      ? [...c.channelIds, ch.id]
                      : c.channelIds.filter((x) => x !== ch.id),
                  })
                }
              />
              {ch.name}
            </label>
          ))}
        </fieldset>
      ) : null}
      {c.kind === 'contact_field' ? (
        <div class="row">
          <label>
            Field
            <select
              value={c.field}
              onChange={(e) =>
                onChange({ field: e.currentTarget.value as ConditionDraft['field'] })
              }
            >
              <option value="name">Name</option>
              <option value="phone">Phone</option>
              <option value="email">Email</option>
              <option value="custom">A custom field…</option>
            </select>
          </label>
          {c.field === 'custom' ? (
            <label class="grow">
              Custom field key
              <input
                required
                maxLength={64}
                autoComplete="off"
                value={c.customField}
                onInput={(e) => onChange({ customField: e.currentTarget.value })}
              />
            </label>
          ) : null}
          <label>
            Comparison
            <select
              value={c.op}
              onChange={(e) => onChange({ op: e.currentTarget.value as ConditionDraft['op'] })}
            >
              <option value="contains">contains</option>
              <option value="equals">equals</option>
              <option value="is_set">is set</option>
            </select>
          </label>
          {c.op !== 'is_set' ? (
            <label class="grow">
              Value
              <input
                required
                maxLength={200}
                autoComplete="off"
                value={c.value}
                onInput={(e) => onChange({ value: e.currentTarget.value })}
              />
            </label>
          ) : null}
        </div>
      ) : null}
      {c.kind === 'keyword' ? (
        <label>
          Word or phrase
          <input
            required
            maxLength={100}
            autoComplete="off"
            value={c.keyword}
            onInput={(e) => onChange({ keyword: e.currentTarget.value })}
          />
        </label>
      ) : null}
      {c.kind === 'regex' ? (
        <div class="row">
          <label class="grow">
            Pattern
            <input
              required
              autoComplete="off"
              spellcheck={false}
              value={c.pattern}
              onInput={(e) => onChange({ pattern: e.currentTarget.value })}
            />
          </label>
          <label class="check">
            <input
              type="checkbox"
              checked={c.caseSensitive}
              onChange={(e) => onChange({ caseSensitive: e.currentTarget.checked })}
            />
            Case-sensitive
          </label>
        </div>
      ) : null}
    </fieldset>
  );
}
