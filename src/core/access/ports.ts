import type { ChatFacts, WorkspaceAccessFacts } from './facts.js';

/**
 * Where the policy's facts come from. The database adapter implements it with a handful of
 * indexed queries; unit tests pass an in-memory fake.
 */
export interface AccessFactsSource {
  /** Everything about the workspace's people that access depends on. */
  workspaceAccess(workspaceId: string): Promise<WorkspaceAccessFacts>;
  /** The chats' facts; ids of other workspaces are simply absent. */
  chatFacts(workspaceId: string, chatIds: readonly string[]): Promise<ChatFacts[]>;
}
