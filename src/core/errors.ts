/**
 * Errors a person may see. Only an `OpsError`'s `userMessage` ever reaches a chat; any other error is
 * shown as "Internal error (ref …)" and logged with that ref (design.md §4).
 */
export class OpsError extends Error {
  readonly code: string;
  readonly userMessage: string;
  /** Extra lines shown under the message, e.g. the usage line. */
  readonly hint?: string;
  constructor(code: string, userMessage: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(userMessage, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.userMessage = userMessage;
    if (opts.hint !== undefined) this.hint = opts.hint;
  }
}

/** The input was wrong: an unknown command, a bad argument. Nothing ran. */
export class UsageError extends OpsError {
  constructor(message: string, hint?: string, code = 'bad_usage') {
    super(code, message, hint === undefined ? {} : { hint });
  }
}

/** The person may not do this (policy). Nothing ran. */
export class NotAllowedError extends OpsError {
  constructor(message: string, code = 'not_allowed') {
    super(code, message);
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends OpsError {
  constructor(message: string) {
    super('not_found', message);
  }
}

/** The state changed under us: drift, already decided, expired. */
export class ConflictError extends OpsError {
  constructor(message: string, code = 'conflict') {
    super(code, message);
  }
}

/** Kubernetes, the LLM or a platform API failed; `userMessage` is a one-line reason. */
export class UpstreamError extends OpsError {
  constructor(message: string, opts: { code?: string; cause?: unknown } = {}) {
    super(opts.code ?? 'upstream_error', message, opts.cause === undefined ? {} : { cause: opts.cause });
  }
}

/** An inbound request failed authentication. HTTP 401, never a chat reply. */
export class VerificationError extends OpsError {
  constructor(message: string) {
    super('verification_failed', message);
  }
}
