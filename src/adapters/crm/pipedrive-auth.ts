import { errors as joseErrors, jwtVerify } from 'jose';
import { AppError } from '../../core/errors.js';
import type { PipedriveSettings } from '../../core/integrations/integrations-store.js';
import { sameSecret } from '../../core/tokens.js';

/**
 * Who a Pipedrive app-extension request comes from, proven the ways Pipedrive proves it.
 *
 * Pipedrive calls a JSON panel's (and a JSON modal's) API endpoint with the query
 * `resource, view, userId, companyId, selectedIds, isShared, token` and, for panels, the
 * HTTP Basic credentials set in Developer Hub ("Adding a JSON panel": "Our service will send
 * the HTTP request with these credentials as the basic authentication header"; "JWT is
 * required if HTTP Auth is not provided"; both may be configured —
 * https://pipedrive.readme.io/docs/json-panels-adding-a-panel).
 *
 * `token` is a JWT Pipedrive signs (HS256) with the extension's JWT secret (the app's
 * client secret when none is set); its claims carry `userId` and `companyId` so the query's
 * can be checked against them — "Otherwise, anyone who knows the panel request URL could make
 * requests on behalf of other users/companies" (Pipedrive's developer community,
 * https://devcommunity.pipedrive.com/t/json-panel-app-extension-whats-the-use-of-the-token-parameter-in-the-api-endpoint-call/7347;
 * JSON modals: "`token` contains encrypted `userID` and `companyID`, so you can verify them
 * from the query parameters", https://pipedrive.readme.io/docs/app-extensions-json-modals).
 * `exp` and `nbf` are honoured when present (60 s of clock skew allowed).
 *
 * Every failure is `unauthorized` with one message: a caller learns nothing about which part
 * was wrong.
 */
export interface PipedriveCaller {
  /** Pipedrive's user id, as a string (the JWT carries a number). */
  userId: string;
  companyId: string;
}

export interface PipedriveRequestAuth {
  query: {
    userId?: string | undefined;
    companyId?: string | undefined;
    token?: string | undefined;
  };
  authorization: string | undefined;
  now: Date;
}

const refused = (cause?: unknown) =>
  new AppError('unauthorized', 'this request is not signed by Pipedrive for this integration', {
    cause,
  });

export async function authenticatePipedrive(
  settings: Pick<PipedriveSettings, 'jwtSecret' | 'basicAuth'>,
  request: PipedriveRequestAuth,
): Promise<PipedriveCaller> {
  const { jwtSecret, basicAuth } = settings;
  // Pipedrive insists on one of the two; an integration with neither trusts nobody.
  if (!jwtSecret && !basicAuth) throw refused();
  if (basicAuth && !basicAuthMatches(basicAuth, request.authorization)) throw refused();
  const { userId, companyId } = request.query;
  if (!jwtSecret) {
    if (!userId || !companyId) throw refused();
    return { userId, companyId };
  }
  const claims = await verifyPipedriveToken(jwtSecret, request.query.token, request.now);
  // The query may repeat the claims (Pipedrive sends both); it may not contradict them.
  if ((userId && userId !== claims.userId) || (companyId && companyId !== claims.companyId)) {
    throw refused();
  }
  return claims;
}

/** The claims of a token Pipedrive signed with `secret` (HS256); else `unauthorized`. */
export async function verifyPipedriveToken(
  secret: string,
  token: string | undefined,
  now: Date,
): Promise<PipedriveCaller> {
  if (!token) throw refused();
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
      currentDate: now,
      clockTolerance: 60,
    });
    const userId = idClaim(payload.userId);
    const companyId = idClaim(payload.companyId);
    if (!userId || !companyId) throw refused();
    return { userId, companyId };
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof joseErrors.JOSEError) throw refused(error);
    throw error;
  }
}

/** Pipedrive ids are numbers in the token and strings in the query. */
function idClaim(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return value;
  return undefined;
}

/** `Authorization: Basic base64(user:password)`, compared in constant time. */
export function basicAuthMatches(
  expected: { username: string; password: string },
  header: string | undefined,
): boolean {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match?.[1]) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both compared, always, so the time taken says nothing about which one was wrong.
  const user = sameSecret(decoded.slice(0, colon), expected.username);
  const password = sameSecret(decoded.slice(colon + 1), expected.password);
  return user && password;
}
