/**
 * The one error type of Switchboard. Every failure that a caller may see is an
 * `AppError` with a stable `code`; adapters map the code to their medium (an
 * HTTP status, a Slack reply) through one table each. Code never branches on
 * `message`, which is written for people and may change.
 */
export const errorCodes = [
  /** No credentials, or credentials nobody issued: the caller is unknown. */
  'unauthorized',
  /** The caller is known but their role or restrictions do not allow the action. */
  'forbidden',
  /** The object does not exist, lives in another workspace, or the caller may not see it. */
  'not_found',
  /** The action contradicts the current state (duplicate, last owner, wrong status). */
  'conflict',
  /** The input is malformed; `details` says where. */
  'invalid_input',
  /** The caller sent too much too fast. */
  'rate_limited',
  /** A dependency (database, queue) is not reachable right now; retrying may help. */
  'unavailable',
  /** A bug: nothing the caller did explains it. */
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** One problem with one input field, e.g. `{ path: "role", message: "unknown role" }`. */
export interface ErrorDetail {
  path: string;
  message: string;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[] | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: readonly ErrorDetail[] } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;

/**
 * One `ErrorDetail` per problem a schema found (zod's `issues`, or any list alike), each path
 * written from `root` (`body.contact.phone`, `restrictions.chatVisibility`).
 */
export function issueDetails(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  root?: string,
): ErrorDetail[] {
  return issues.map((issue) => ({
    path: [...(root === undefined ? [] : [root]), ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}
