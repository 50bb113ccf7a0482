import type { Session } from './api.js';

/** The signed-in user lives only in this tab's session storage; signing out clears it. */
const KEY = 'switchboard.session';

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    return s.token && s.workspaceId && s.userId
      ? {
          token: s.token,
          workspaceId: s.workspaceId,
          userId: s.userId,
          name: s.name ?? '',
          email: s.email ?? '',
        }
      : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

/** The workspace id typed last, offered again at the next sign-in in this tab. */
const WS_KEY = 'switchboard.workspaceId';
export const rememberedWorkspace = () => sessionStorage.getItem(WS_KEY) ?? '';
export const rememberWorkspace = (id: string) => sessionStorage.setItem(WS_KEY, id);
