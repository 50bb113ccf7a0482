import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import QRCode from 'qrcode';
import { ApiError, type Channel } from './api.js';
import type { ChannelStatusEvent } from './stream.js';
import type { WorkspaceContext } from './app.js';
import './channels.css';
import { errorText } from './format.js';

/**
 * The channels view (issue 21): the channel accounts the user may see (GET …/channels) with
 * their type, owner and status; connecting a webhook channel (its inbound URL and secret shown
 * once) or a WhatsApp account (its QR code drawn as an image while it waits to be linked,
 * updating live); disabling and reconnecting WhatsApp accounts. Each control on an account shows
 * only where the server's answer says the user may use it (`may`, decided by its policy); the
 * server still decides every action, and its refusal is shown as it words it.
 */

type Owner = Channel['owner'];

const STATUS: Record<string, string> = {
  active: 'Active',
  qr_pending: 'Waiting for the QR code to be scanned',
  connected: 'Connected',
  disconnected: 'Disconnected',
  logged_out: 'Logged out',
  disabled: 'Disabled',
};
const statusLabel = (s: string) => STATUS[s] ?? s;

/** What the stream or `GET …/qr` said of a WhatsApp account. */
type Live = { status: string; qr?: string; detail?: string };

/** The status, with why when the server said (`Disconnected: failed to start: …`). */
const statusWithReason = (s: Live) =>
  s.detail ? `${statusLabel(s.status)}: ${s.detail}` : statusLabel(s.status);

/** What to do about an account that is down (its Reconnect button tries again). */
function downHint(status: string, name: string): string | null {
  if (status === 'disconnected') return `Reconnect ${name} tries again.`;
  if (status === 'logged_out')
    return `Reconnect ${name} to link it again: a new QR code is shown to scan.`;
  return null;
}

/** A refusal as the server words it (with the details of an `invalid_input`). */
function worded(e: unknown): string {
  if (e instanceof ApiError && e.details.length)
    return `${e.message}: ${e.details.map((d) => d.message).join('; ')}`;
  return errorText(e);
}

export function ownerName(ctx: WorkspaceContext, owner: Owner): string {
  if (owner.type === 'workspace') return 'Workspace (HQ)';
  if (owner.type === 'team')
    return `Team ${ctx.teams.find((t) => t.id === owner.id)?.name ?? '(not active)'}`;
  if (owner.id === ctx.session.userId) return `You (${ctx.session.name || ctx.session.email})`;
  return ctx.members.find((m) => m.user.id === owner.id)?.user.name ?? 'A former member';
}

/**
 * The owners the user may connect an account for, as the server lists them (`connectOwners`,
 * decided by its policy, in its order: themselves, HQ, teams, colleagues).
 */
const ownerChoices = (
  ctx: WorkspaceContext,
  owners: readonly Owner[],
): Array<{ value: string; label: string }> =>
  owners.map((o) => ({
    value: o.type === 'workspace' ? 'workspace' : `${o.type}:${o.id ?? ''}`,
    label: ownerName(ctx, o),
  }));

const ownerOf = (value: string): { type: Owner['type']; id?: string } => {
  const [type, id] = value.split(':');
  return type === 'user' || type === 'team' ? { type, id: id ?? '' } : { type: 'workspace' };
};

export function ChannelsView(props: { ctx: WorkspaceContext }) {
  const { ctx } = props;
  const { api } = ctx;
  const [channels, setChannels] = useState<Channel[] | null>(null);
  /** Who the user may connect a new account for (the server's `connectOwners`). */
  const [owners, setOwners] = useState<Owner[]>([]);
  const [error, setError] = useState<string | null>(null);
  /** The latest QR code (and status) of each WhatsApp account, as the stream or a poll said. */
  const [qrs, setQrs] = useState<Record<string, Live>>({});
  /** The WhatsApp accounts whose linking is followed here (connected or reconnected here). */
  const [linking, setLinking] = useState<string[]>([]);
  /** A new webhook channel's inbound URL and secret: shown once, never stored. */
  const [created, setCreated] = useState<{ name: string; url: string; secret: string } | null>(
    null,
  );

  const reload = useCallback(() => {
    api.channels().then(
      (r) => {
        setChannels(r.items);
        setOwners(r.connectOwners);
        setError(null);
      },
      (e: unknown) => setError(worded(e)),
    );
  }, [api]);
  useEffect(reload, [reload, ctx.reconnects]);

  const seen = useRef(new Set<string>());
  seen.current = new Set((channels ?? []).map((c) => c.id));
  const onStatus = useCallback(
    (e: ChannelStatusEvent) => {
      setQrs((q) => ({
        ...q,
        [e.channelId]: { status: e.status, qr: e.qr, detail: e.detail },
      }));
      if (seen.current.has(e.channelId))
        setChannels((cs) =>
          (cs ?? []).map((c) => (c.id === e.channelId ? { ...c, status: e.status } : c)),
        );
      else reload();
    },
    [reload],
  );
  const mayConnect = owners.length > 0 || (channels ?? []).some((c) => c.may.connect);
  // The shell's event stream carries `channel.status` to those who may connect the account.
  useEffect(
    () => (mayConnect ? ctx.subscribeChannels(onStatus) : undefined),
    [ctx.subscribeChannels, onStatus, mayConnect],
  );

  const follow = (id: string) => setLinking((ids) => (ids.includes(id) ? ids : [...ids, id]));

  return (
    <main class="page channels-page" id="page" aria-labelledby="channels-title">
      <h2 id="channels-title">Channels</h2>
      {error ? <p role="alert">{error}</p> : null}
      {owners.length > 0 ? (
        <ConnectForm
          ctx={ctx}
          owners={owners}
          onConnected={(channel) => {
            if (channel.inbound)
              setCreated({
                name: channel.name,
                url: channel.inbound.url,
                secret: channel.inbound.secret,
              });
            else setCreated(null);
            if (channel.type === 'whatsapp') follow(channel.id);
            reload();
            ctx.refresh();
          }}
        />
      ) : null}
      {created ? <SecretOnce {...created} onDone={() => setCreated(null)} /> : null}
      {linking.map((id) => {
        const channel = channels?.find((c) => c.id === id);
        return channel ? (
          <QrPanel
            key={id}
            ctx={ctx}
            channel={channel}
            live={qrs[id]}
            onClose={() => setLinking((ids) => ids.filter((x) => x !== id))}
          />
        ) : null;
      })}
      <section aria-labelledby="channel-list-title">
        <h3 id="channel-list-title">Channel accounts</h3>
        {channels === null && !error ? <p role="status">Loading channels…</p> : null}
        {channels?.length === 0 ? <p class="hint">No channel accounts you may see yet.</p> : null}
        <ul class="channel-list">
          {(channels ?? []).map((c) => (
            <ChannelRow
              key={c.id}
              ctx={ctx}
              channel={c}
              live={qrs[c.id]}
              onChanged={(changed) => {
                setChannels((cs) => (cs ?? []).map((x) => (x.id === changed.id ? changed : x)));
                if (changed.status === 'qr_pending') follow(changed.id);
                ctx.refresh();
              }}
              onShowQr={() => follow(c.id)}
            />
          ))}
        </ul>
      </section>
    </main>
  );
}

function ChannelRow(props: {
  ctx: WorkspaceContext;
  channel: Channel;
  /** The stream's latest word on the account (those who may connect it). */
  live: Live | undefined;
  onChanged: (c: Channel) => void;
  onShowQr: () => void;
}) {
  const { ctx, channel: c } = props;
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const whatsapp = c.type === 'whatsapp';
  // Disabling needs channel.edit over the account, reconnecting channel.connect (the server's rules).
  // The server says what this user may do with the account (`may`, from its policy).
  const mayEdit = whatsapp && c.may.edit;
  const mayConnect = whatsapp && c.may.connect;
  // Why a WhatsApp account is down: GET …/qr (the list does not say), then the stream.
  const down = c.status === 'disconnected' || c.status === 'logged_out';
  const [asked, setAsked] = useState<Live | null>(null);
  useEffect(() => {
    setAsked(null);
    if (!mayConnect || !down) return;
    let current = true;
    ctx.api.channelQr(c.id).then(
      (r) => current && setAsked(r),
      () => undefined, // the status alone is still shown
    );
    return () => {
      current = false;
    };
  }, [ctx.api, c.id, c.status, mayConnect, down]);
  const said = [props.live, asked].find((s) => s?.status === c.status);
  const reason = down && mayConnect ? said?.detail : undefined;
  const act = async (action: 'disable' | 'reconnect') => {
    setBusy(true);
    try {
      const r = await ctx.api.setChannelState(c.id, action);
      setError(null);
      props.onChanged(r.channel);
    } catch (e) {
      setError(worded(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li data-channel-id={c.id} data-channel-name={c.name}>
      <div class="channel-summary">
        <strong>{c.name}</strong>
        <dl class="channel-facts">
          <dt>Type</dt>
          <dd data-field="type">{whatsapp ? 'WhatsApp' : 'Webhook'}</dd>
          <dt>Owner</dt>
          <dd data-field="owner">{ownerName(ctx, c.owner)}</dd>
          <dt>Status</dt>
          <dd data-field="status" data-status={c.status} class={`channel-status ${c.status}`}>
            {statusLabel(c.status)}
          </dd>
          {reason ? (
            <>
              <dt>Reason</dt>
              <dd data-field="status-detail">{reason}</dd>
            </>
          ) : null}
        </dl>
        {down && mayConnect ? <p class="hint">{downHint(c.status, c.name)}</p> : null}
      </div>
      {mayEdit || mayConnect ? (
        <div class="member-actions">
          {mayConnect && c.status === 'qr_pending' ? (
            <button type="button" class="secondary" onClick={props.onShowQr}>
              Show the QR code of {c.name}
            </button>
          ) : null}
          {mayEdit && c.status !== 'disabled' ? (
            <button
              type="button"
              class="danger"
              disabled={busy}
              onClick={() => void act('disable')}
            >
              Disable {c.name}
            </button>
          ) : null}
          {mayConnect && ['disabled', 'logged_out', 'disconnected'].includes(c.status) ? (
            <button type="button" disabled={busy} onClick={() => void act('reconnect')}>
              Reconnect {c.name}
            </button>
          ) : null}
        </div>
      ) : null}
      {error ? <p role="alert">{error}</p> : null}
    </li>
  );
}

function ConnectForm(props: {
  ctx: WorkspaceContext;
  owners: readonly Owner[];
  onConnected: (channel: Channel & { inbound?: { url: string; secret: string } }) => void;
}) {
  const { ctx } = props;
  const [type, setType] = useState<'webhook' | 'whatsapp'>('webhook');
  const [name, setName] = useState('');
  const choices = ownerChoices(ctx, props.owners);
  const [owner, setOwner] = useState('');
  const [outboundUrl, setOutboundUrl] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const chosen = choices.some((o) => o.value === owner) ? owner : (choices[0]?.value ?? '');

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    try {
      const r = await ctx.api.connectChannel({
        type,
        name: name.trim(),
        owner: ownerOf(chosen),
        ...(type === 'webhook' && outboundUrl.trim() ? { outboundUrl: outboundUrl.trim() } : {}),
      });
      setError(null);
      setName('');
      setOutboundUrl('');
      props.onConnected(r.channel);
    } catch (err) {
      setError(worded(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="connect-title" class="connect">
      <h3 id="connect-title">Connect a channel</h3>
      <form id="connect-form" class="stack" onSubmit={(e) => void submit(e)}>
        <fieldset>
          <legend>Type</legend>
          <label class="check">
            <input
              type="radio"
              name="type"
              value="webhook"
              checked={type === 'webhook'}
              onChange={() => setType('webhook')}
            />
            Webhook (your own system posts messages, signed)
          </label>
          <label class="check">
            <input
              type="radio"
              name="type"
              value="whatsapp"
              checked={type === 'whatsapp'}
              onChange={() => setType('whatsapp')}
            />
            WhatsApp (link a phone by scanning a QR code)
          </label>
        </fieldset>
        <label>
          Channel name
          <input
            name="name"
            required
            maxLength={200}
            autoComplete="off"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <label>
          Owner
          <select name="owner" value={chosen} onChange={(e) => setOwner(e.currentTarget.value)}>
            {choices.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        {type === 'webhook' ? (
          <label>
            Outbound URL (optional: where replies are posted)
            <input
              type="url"
              name="outboundUrl"
              autoComplete="off"
              placeholder="https://example.com/switchboard/replies"
              value={outboundUrl}
              onInput={(e) => setOutboundUrl(e.currentTarget.value)}
            />
          </label>
        ) : null}
        <button type="submit" disabled={busy}>
          {type === 'webhook' ? 'Connect webhook channel' : 'Connect WhatsApp account'}
        </button>
        {error ? <p role="alert">{error}</p> : null}
      </form>
    </section>
  );
}

/** A new webhook channel's inbound URL and signing secret: the only time the secret is shown. */
function SecretOnce(props: { name: string; url: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const copy = (what: string, text: string, input: HTMLInputElement | null) => {
    input?.select();
    // The clipboard may be refused (an insecure origin, no permission): the text stays selected.
    const selected = () => setCopied(`${what} selected: press Ctrl+C (⌘C) to copy it.`);
    if (!navigator.clipboard) return selected();
    navigator.clipboard.writeText(text).then(() => setCopied(`${what} copied.`), selected);
  };
  const urlInput = useRef<HTMLInputElement>(null);
  const secretInput = useRef<HTMLInputElement>(null);
  return (
    <section class="secret-once" aria-labelledby="secret-title">
      <h3 id="secret-title" ref={heading} tabIndex={-1}>
        “{props.name}” is connected
      </h3>
      <p>
        Copy the inbound URL and the signing secret now:{' '}
        <strong>the secret is shown only this once</strong>. Your system posts messages to the URL,
        signed with the secret (see the API documentation).
      </p>
      <label>
        Inbound URL
        <span class="copy-row">
          <input
            ref={urlInput}
            readOnly
            value={props.url}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button
            type="button"
            class="secondary"
            onClick={() => copy('Inbound URL', props.url, urlInput.current)}
          >
            Copy URL
          </button>
        </span>
      </label>
      <label>
        Signing secret
        <span class="copy-row">
          <input
            ref={secretInput}
            readOnly
            value={props.secret}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button
            type="button"
            class="secondary"
            onClick={() => copy('Secret', props.secret, secretInput.current)}
          >
            Copy secret
          </button>
        </span>
      </label>
      <p class="hint" aria-live="polite">
        {copied ?? 'Tip: select a field and press Ctrl+C (⌘C), or use its Copy button.'}
      </p>
      <button type="button" onClick={props.onDone}>
        I have copied them
      </button>
    </section>
  );
}

const POLL_MS = 2000;

/**
 * A WhatsApp account being linked: its QR code drawn as an image while it waits to be scanned,
 * a new image each time WhatsApp sends a new code (live on the event stream, polled as a
 * fallback), then "connected".
 */
function QrPanel(props: {
  ctx: WorkspaceContext;
  channel: Channel;
  live: Live | undefined;
  onClose: () => void;
}) {
  const { ctx, channel, live } = props;
  /** The latest word on the account, from the stream or a poll, whichever came last. */
  const [state, setState] = useState<Live>({ status: channel.status });
  const [error, setError] = useState<string | null>(null);
  const [image, setImage] = useState<string | null>(null);
  // Opened by connecting or reconnecting: the keyboard (and the screen) lands on it.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    if (!live) return;
    // The stream's word is newer than a poll that failed.
    setState(live);
    setError(null);
  }, [live]);
  const status = state.status;
  const waiting = status === 'qr_pending';

  useEffect(() => {
    if (!waiting) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = () => {
      ctx.api.channelQr(channel.id).then(
        (r) => {
          if (stopped) return;
          setState(r);
          setError(null);
          timer = setTimeout(poll, POLL_MS);
        },
        (e: unknown) => {
          if (stopped) return;
          setError(worded(e));
          timer = setTimeout(poll, POLL_MS * 2);
        },
      );
    };
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [ctx.api, channel.id, waiting]);

  const qr = waiting ? state.qr : undefined;
  useEffect(() => {
    if (!qr) {
      setImage(null);
      return;
    }
    let current = true;
    QRCode.toDataURL(qr, { errorCorrectionLevel: 'M', margin: 2, width: 264 }).then(
      (url) => current && setImage(url),
      (e: unknown) => current && setError(worded(e)),
    );
    return () => {
      current = false;
    };
  }, [qr]);

  return (
    <section
      class="qr-panel"
      aria-labelledby={`qr-title-${channel.id}`}
      data-qr-channel={channel.id}
      data-status={status}
    >
      <h3 id={`qr-title-${channel.id}`} ref={heading} tabIndex={-1}>
        Linking “{channel.name}”
      </h3>
      {status === 'connected' ? (
        <p role="status" class="connected">
          “{channel.name}” is connected.
        </p>
      ) : waiting ? (
        <>
          <p>
            On the phone, open WhatsApp → Settings → Linked devices → Link a device, and scan this
            code. A new code appears here by itself when WhatsApp replaces it.
          </p>
          {image ? (
            <img
              class="qr"
              src={image}
              width={264}
              height={264}
              alt={`WhatsApp QR code to link “${channel.name}”: scan it with the phone`}
            />
          ) : (
            <p role="status">Waiting for the QR code from WhatsApp…</p>
          )}
        </>
      ) : (
        <>
          <p role="status" data-field="status-reason">
            “{channel.name}”: {statusWithReason(state)}
            {state.detail ? '' : '.'}
          </p>
          {downHint(status, channel.name) ? (
            <p class="hint">{downHint(status, channel.name)}</p>
          ) : null}
        </>
      )}
      {error ? <p role="alert">{error}</p> : null}
      <button type="button" class="secondary" onClick={props.onClose}>
        Close
      </button>
    </section>
  );
}
