import { describe, expect, it } from 'vitest';
import {
  buildPrincipal,
  type AccessFactsSource,
  type ChatFacts,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import { explainAccess } from '../../../src/core/access/explain-access.js';
import { listAudience } from '../../../src/core/access/list-audience.js';

/** A workspace of an Owner and two Agents; one chat assigned to Agent A. */
const facts: WorkspaceAccessFacts = {
  workspaceId: 'ws',
  members: [
    { userId: 'owner', name: 'O', status: 'active', role: 'owner', restrictions: {} },
    { userId: 'a', name: 'A', status: 'active', role: 'agent', restrictions: {} },
    { userId: 'b', name: 'B', status: 'active', role: 'agent', restrictions: {} },
  ],
  teams: [],
  teamMembers: [],
  customRoles: [],
  bindings: [],
};
const chat: ChatFacts = {
  id: 'c1',
  workspaceId: 'ws',
  channelId: 'ch',
  channelOwner: { type: 'workspace' },
  assignee: { type: 'user', userId: 'a' },
  participantIds: [],
};
/** The in-memory fake of the port: one workspace, one chat. */
const access: AccessFactsSource = {
  workspaceAccess: () => Promise.resolve(facts),
  chatFacts: (_ws, ids) => Promise.resolve(ids.includes(chat.id) ? [chat] : []),
};
const who = (userId: string) => {
  const p = buildPrincipal(facts, userId);
  if (!p) throw new Error(userId);
  return p;
};
const input = { workspaceId: 'ws', chatId: 'c1', action: 'chat.view' as const };

describe('explainAccess asked by a member (the explain API)', () => {
  it('anyone may ask about themselves', async () => {
    const decision = await explainAccess({ access }, { ...input, userId: 'a', asker: who('a') });
    expect(decision.allowed).toBe(true);
  });

  it('asking about another member needs users.manage: forbidden for an Agent', async () => {
    await expect(
      explainAccess({ access }, { ...input, userId: 'b', asker: who('a') }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    const forOwner = await explainAccess(
      { access },
      { ...input, userId: 'b', asker: who('owner') },
    );
    expect(forOwner.allowed).toBe(false);
  });

  it('never confirms that a chat hidden from the asker exists: not found', async () => {
    await expect(
      explainAccess({ access }, { ...input, userId: 'b', asker: who('b') }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      explainAccess({ access }, { ...input, chatId: 'nope', userId: 'a', asker: who('a') }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('listAudience asked by a member (the audience API)', () => {
  it('lists who may view the chat', async () => {
    const audience = await listAudience({ access }, { ...input, asker: who('owner') });
    expect(audience.map((p) => p.userId).sort()).toEqual(['a', 'owner']);
  });

  it('a chat hidden from the asker is not found', async () => {
    await expect(listAudience({ access }, { ...input, asker: who('b') })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
