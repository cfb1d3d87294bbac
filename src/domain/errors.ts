/**
 * Every failure zwh expects has a stable code and an exit code. Only cli/main.ts turns an error
 * into a line on stderr and a process exit code; anything that is not a ZwhError is a bug.
 * Messages name the thing and the next step, and never hold a secret.
 */

export const EXIT_CODES = {
  ZWH_USAGE: 2,
  ZWH_INVALID: 2,
  ZWH_CONFLICT: 2,
  ZWH_DB_UNUSABLE: 2,
  ZWH_DB_TOO_NEW: 2,
  ZWH_NOT_FOUND: 3,
  ZWH_FAILED: 1,
  ZWH_CANCELLED: 130,
} as const;

export type ErrorCode = keyof typeof EXIT_CODES;

export class ZwhError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ZwhError';
    this.code = code;
    this.exitCode = EXIT_CODES[code];
  }
}

/** The command line was wrong: a missing flag, an unknown option. */
export class UsageError extends ZwhError {
  constructor(message: string) {
    super('ZWH_USAGE', message);
  }
}

/** A value was given but is not acceptable: an http URL, an unknown event, bad JSON. */
export class ValidationError extends ZwhError {
  constructor(message: string) {
    super('ZWH_INVALID', message);
  }
}

/** The request conflicts with the state of things: replaying a delivery that succeeded. */
export class ConflictError extends ZwhError {
  constructor(message: string) {
    super('ZWH_CONFLICT', message);
  }
}

export class NotFoundError extends ZwhError {
  constructor(message: string) {
    super('ZWH_NOT_FOUND', message);
  }
}

/** The operation ran and did not succeed (the test delivery was not 2xx). */
export class OperationFailedError extends ZwhError {
  constructor(message: string) {
    super('ZWH_FAILED', message);
  }
}

export class CancelledError extends ZwhError {
  constructor(message = 'cancelled; nothing was written') {
    super('ZWH_CANCELLED', message);
  }
}

export class DatabaseUnusableError extends ZwhError {
  constructor(message: string, cause?: unknown) {
    super('ZWH_DB_UNUSABLE', message, { cause });
  }
}

export class DatabaseTooNewError extends ZwhError {
  constructor(message: string) {
    super('ZWH_DB_TOO_NEW', message);
  }
}

/** A validation failure about size: the intake answers it with 413. */
export class PayloadTooLargeError extends ValidationError {}
