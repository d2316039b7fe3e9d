import { type Lang, msg, pick, type Text } from './i18n.js';

/** A message in both languages (from the catalogue, src/core/i18n.ts) or one that has no translation. */
export type Said = string | Text;

/**
 * Errors a person may see. Only an `OpsError`'s message ever reaches a chat, in the reader's language
 * (`says(lang)`); any other error is shown as "Internal error (ref …)" and logged with that ref
 * (design.md §4). `userMessage` is the English wording, which logs and the audit log carry.
 */
export class OpsError extends Error {
  readonly code: string;
  readonly userMessage: string;
  /** Extra lines shown under the message, e.g. the usage line (English). */
  readonly hint?: string;
  readonly #text: Said;
  readonly #hint: Said | undefined;
  constructor(code: string, userMessage: Said, opts: { hint?: Said; cause?: unknown } = {}) {
    const en = pick(userMessage, 'en');
    super(en, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.userMessage = en;
    this.#text = userMessage;
    this.#hint = opts.hint;
    if (opts.hint !== undefined) this.hint = pick(opts.hint, 'en');
  }

  /** The message in the reader's language. */
  says(lang: Lang): string {
    return pick(this.#text, lang);
  }

  /** The hint in the reader's language. */
  hints(lang: Lang): string | undefined {
    return this.#hint === undefined ? undefined : pick(this.#hint, lang);
  }
}

/** The input was wrong: an unknown command, a bad argument. Nothing ran. */
export class UsageError extends OpsError {
  constructor(message: Said, hint?: Said, code = 'bad_usage') {
    super(code, message, hint === undefined ? {} : { hint });
  }
}

/** The person may not do this (policy). Nothing ran. */
export class NotAllowedError extends OpsError {
  /** `advice`: what to do instead, fitting this refusal (default: the admin can grant it in the policy). */
  constructor(message: Said, code = 'not_allowed', advice?: Said) {
    super(code, message, advice === undefined ? {} : { hint: advice });
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends OpsError {
  constructor(message: Said) {
    super('not_found', message);
  }
}

/** The state changed under us: drift, already decided, expired. */
export class ConflictError extends OpsError {
  constructor(message: Said, code = 'conflict') {
    super(code, message);
  }
}

/**
 * What was asked for is already so (scale to the current replicas, roll back to the current revision, a
 * restart while a rollout already replaces the pods): answered plainly, nothing requested or run.
 */
export class NothingToDoError extends OpsError {
  constructor(message: Said) {
    super('nothing_to_do', message);
  }
}

/** Kubernetes, the LLM or a platform API failed; `userMessage` is a one-line reason. */
export class UpstreamError extends OpsError {
  constructor(message: Said, opts: { code?: string; cause?: unknown } = {}) {
    super(opts.code ?? 'upstream_error', message, opts.cause === undefined ? {} : { cause: opts.cause });
  }
}

/**
 * The store cannot write (a full disk, a read-only file, a store that went away). Nothing was changed;
 * over HTTP it is a 503, so a platform that retries does.
 */
export class StoreUnavailableError extends OpsError {
  readonly status = 503;
  constructor(
    /** The store's own words (e.g. "database or disk is full (SQLITE_FULL)"), for the operator. */
    readonly reason: string,
    /** Out of space, as opposed to another write failure. */
    readonly full: boolean,
    cause?: unknown,
  ) {
    super('store_unavailable', full ? msg('store.full') : msg('store.unwritable', { reason }), { hint: msg('store.tellOperator'), cause });
  }
}

/** An inbound request failed authentication. HTTP 401, never a chat reply. */
export class VerificationError extends OpsError {
  constructor(message: Said) {
    super('verification_failed', message);
  }
}
