import type { FastifyReply } from 'fastify';
import {
  allows,
  buildPrincipal,
  checkChannel,
  type Principal,
  type WorkspaceAccessFacts,
} from '../../core/access/index.js';
import { isChatEvent, type SwitchboardEvent } from '../../core/events/events.js';
import { loadWorkspaceAccess, ownerRef } from '../db/access/load-access.js';
import { loadChatEventView } from '../db/chat-reads.js';
import type { EventBus } from '../db/event-bus.js';
import type { Database } from '../db/database.js';
import { presentChatEvent } from '../present/event.js';
import type { LiveEvents } from './context.js';

/**
 * The live event stream (server-sent events), one per user connection. Every event is
 * decided per connection by the same policy as everything else: only users in the chat's
 * audience receive it, redacted for them. When access changes (suspension, revocation, a new
 * role), the workspace's principals are re-derived and streams of members who lost access end.
 * A channel's status (and a WhatsApp QR code to scan) goes only to those who may connect
 * that channel account (`channel.connect`).
 */
interface Connection {
  userId: string;
  reply: FastifyReply;
  principal: Principal;
}

export class EventStreamHub implements LiveEvents {
  private readonly byWorkspace = new Map<string, Set<Connection>>();
  private readonly facts = new Map<string, WorkspaceAccessFacts>();
  private readonly unsubscribe: () => void;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    bus: EventBus,
    private readonly onError: (error: unknown) => void,
  ) {
    this.unsubscribe = bus.subscribe((event) => void this.dispatch(event).catch(onError));
    // A comment line every 25 s keeps proxies from closing idle streams.
    this.heartbeat = setInterval(() => {
      for (const set of this.byWorkspace.values())
        for (const c of set) c.reply.raw.write(': keep-alive\n\n');
    }, 25_000);
    this.heartbeat.unref();
  }

  /** Opens a stream for a member; it stays open until the client leaves or loses access. */
  open(reply: FastifyReply, principal: Principal, facts: WorkspaceAccessFacts): void {
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    reply.raw.write(
      `event: ready\ndata: ${JSON.stringify({ type: 'ready', workspaceId: principal.workspaceId })}\n\n`,
    );
    const connection: Connection = { userId: principal.userId, reply, principal };
    let set = this.byWorkspace.get(principal.workspaceId);
    if (!set) this.byWorkspace.set(principal.workspaceId, (set = new Set()));
    set.add(connection);
    this.facts.set(principal.workspaceId, facts);
    reply.raw.on('close', () => {
      set.delete(connection);
      if (set.size === 0) {
        this.byWorkspace.delete(principal.workspaceId);
        this.facts.delete(principal.workspaceId);
      }
    });
  }

  /** Users with an open stream: "online now". */
  isOnline(workspaceId: string, userId: string): boolean {
    for (const c of this.byWorkspace.get(workspaceId) ?? []) if (c.userId === userId) return true;
    return false;
  }

  /** Streams open on this process (metrics). */
  openStreams(): number {
    let open = 0;
    for (const set of this.byWorkspace.values()) open += set.size;
    return open;
  }

  close(): void {
    this.unsubscribe();
    clearInterval(this.heartbeat);
    for (const set of this.byWorkspace.values()) for (const c of set) c.reply.raw.end();
    this.byWorkspace.clear();
  }

  private async dispatch(event: SwitchboardEvent): Promise<void> {
    const connections = this.byWorkspace.get(event.workspaceId);
    if (!connections?.size) return;
    if (event.type === 'access.changed') {
      const facts = await loadWorkspaceAccess(this.db, event.workspaceId);
      this.facts.set(event.workspaceId, facts);
      for (const c of [...connections]) {
        const principal = buildPrincipal(facts, c.userId);
        if (!principal || principal.status !== 'active') {
          c.reply.raw.write(
            `event: access.ended\ndata: ${JSON.stringify({ type: 'access.ended' })}\n\n`,
          );
          c.reply.raw.end();
          connections.delete(c);
        } else {
          c.principal = principal;
        }
      }
      return;
    }
    if (event.type === 'channel.status') return this.channelStatus(event, connections);
    // Member notices (member.revoked) are for webhooks; access.changed above ends the streams.
    if (!isChatEvent(event)) return;
    const view = await loadChatEventView(this.db, event);
    if (!view) return;
    for (const c of connections) {
      if (!allows(c.principal, 'chat.view', view.facts)) continue;
      const data = JSON.stringify(presentChatEvent(c.principal, view));
      c.reply.raw.write(`event: ${event.type}\ndata: ${data}\n\n`);
    }
  }

  private async channelStatus(
    event: Extract<SwitchboardEvent, { type: 'channel.status' }>,
    connections: ReadonlySet<Connection>,
  ): Promise<void> {
    const row = await this.db
      .selectFrom('channel_accounts')
      .select([
        'id',
        'owner_type',
        'owner_user_id',
        'owner_team_id',
        'status',
        'status_detail',
        'qr',
      ])
      .where('workspace_id', '=', event.workspaceId)
      .where('id', '=', event.channelId)
      .executeTakeFirst();
    if (!row) return;
    const channel = { id: row.id, workspaceId: event.workspaceId, owner: ownerRef(row) };
    const data = JSON.stringify({
      type: event.type,
      channelId: row.id,
      status: row.status,
      ...(row.status === 'qr_pending' && row.qr ? { qr: row.qr } : {}),
      ...(row.status_detail === null ? {} : { detail: row.status_detail }),
    });
    for (const c of connections) {
      if (!checkChannel(c.principal, 'channel.connect', channel).allowed) continue;
      c.reply.raw.write(`event: ${event.type}\ndata: ${data}\n\n`);
    }
  }
}
