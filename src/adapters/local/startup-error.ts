/**
 * A reason the server cannot start that the person starting it can act on: a full disk, a
 * folder it may not enter, another server holding the data dir. main.ts prints it as one
 * line (what failed, why, what to do) and exits non-zero, without a stack trace; anything
 * else that stops start-up is a bug and is logged with its stack.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';

  constructor(
    /** What failed and why, e.g. "the embedded PostgreSQL could not start: No space left on device". */
    readonly problem: string,
    /** What to do about it, as an instruction. */
    readonly remedy: string,
    options?: ErrorOptions,
  ) {
    super(`${problem}. ${remedy}`, options);
  }
}

/** Node's system errors carry a code (`EACCES`, `ENOSPC`…) that says more than their text. */
export function systemErrorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** What a person can do about a failed file-system call, by its code. */
export function remedyFor(code: string | undefined, where: string): string {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `Free some disk space where ${where} lives, then start again`;
    case 'EACCES':
    case 'EPERM':
      return `Check the permissions of ${where} (or set SWITCHBOARD_DATA_DIR to a folder this user may write), then start again`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `Something in the way of ${where} is not a folder: set SWITCHBOARD_DATA_DIR to a folder`;
    case 'EROFS':
      return `${where} is on a read-only file system: set SWITCHBOARD_DATA_DIR to a writable folder`;
    default:
      return `Check ${where}, or set DATABASE_URL to use a PostgreSQL server instead`;
  }
}

/** A failed write's handler: `what` (at `where`) cannot be written, and what to do about it. */
export const cannotWrite =
  (what: string, where: string) =>
  (error: unknown): never => {
    throw new StartupError(
      `${what} cannot be written: ${error instanceof Error ? error.message : String(error)}`,
      remedyFor(systemErrorCode(error), where),
      { cause: error },
    );
  };
