/**
 * Every outcome a customer or caller can see, as one typed family. The error handler maps each to
 * a status and a page (or JSON for machine routes); services throw them without knowing about HTTP.
 */
import type { Message } from './i18n/index.js';

export type MessageKey =
  | 'badRequest'
  | 'notFound'
  | 'alreadyPaid'
  | 'notPayable'
  | 'unsupportedCurrency'
  | 'unavailable'
  | 'tooMany'
  | 'internal'
  | 'forbidden'
  | 'tooManyRequests'
  | 'signInBusy'
  | 'uploadBusy'
  | 'uploadTooSlow'
  | 'bodyEncoded'
  | 'linkExpired'
  | 'userLinkExpired'
  | 'ownersOnly'
  | 'operatorsOnly'
  | 'linkNoMatch'
  | 'conflict'
  | 'cannotPayOnline'
  | 'amountNotWhole';

export class DomainError extends Error {
  readonly status: number = 500;
  readonly messageKey: MessageKey = 'internal';
  readonly retryAfterSeconds?: number;
  /** Safe to show to the caller (JSON routes); never contains secrets. */
  readonly publicReason: string = 'internal error';
  /** What the page for messageKey names ({invoice}, {currency}, {seconds}); its words come from the catalogues. */
  get params(): Record<string, string> {
    return this.retryAfterSeconds ? { seconds: String(this.retryAfterSeconds) } : {};
  }
}

export class BadRequest extends DomainError {
  override readonly status = 400;
  override readonly messageKey = 'badRequest';
  constructor(readonly publicReason: string) {
    super(publicReason);
  }
}

export class ServiceUnavailable extends DomainError {
  override readonly status = 503;
  override readonly messageKey = 'unavailable';
  override readonly publicReason = 'temporarily unavailable';
  constructor(
    detail: string,
    override readonly retryAfterSeconds = 30,
  ) {
    super(detail);
  }
}

export class NotFoundJson extends DomainError {
  override readonly status = 404;
  override readonly messageKey = 'notFound';
  constructor(override readonly publicReason: string) {
    super(publicReason);
  }
}

export class Unauthorized extends DomainError {
  override readonly status = 401;
  override readonly messageKey = 'badRequest';
  constructor(override readonly publicReason: string) {
    super(publicReason);
  }
}

export class UnsupportedMediaType extends DomainError {
  override readonly status = 415;
  override readonly messageKey = 'badRequest';
  override readonly publicReason = 'content-type must be application/json';
}

/**
 * A form body sent compressed (Content-Encoding gzip, deflate, br): browsers never compress what
 * they send, and a compressed body says nothing of how large it grows, so the limits set on the
 * bytes that arrive (admin/uploads.ts, the 16 kB forms) would not hold. Refused with the body unread.
 */
export class BodyEncoded extends DomainError {
  override readonly status = 415;
  override readonly messageKey = 'bodyEncoded';
  override readonly publicReason = 'compressed request bodies are not accepted';
  constructor(readonly encoding: string) {
    super(`request body sent with Content-Encoding ${encoding.slice(0, 40)}`);
  }
}

/**
 * When a refused request may be made again, for a page that says so in its reader's words: a wait
 * of hours (a day's share spent) means nothing to a payer as a number of seconds.
 */
export interface RetryWait {
  /** When the refusal was decided, and when the window reopens (by the injected clock). */
  now: Date;
  at: Date;
  /** IANA zone the time is shown in (the merchant's); UTC when not known. */
  timeZone?: string;
}

/** A client or a payment link asked too often; Retry-After says when the window opens again. */
export class TooManyRequests extends DomainError {
  override readonly status = 429;
  override readonly messageKey = 'tooMany';
  override readonly publicReason = 'too many requests';
  private zone?: string;
  constructor(
    detail: string,
    override readonly retryAfterSeconds: number,
    /** The window's times, when the refusal knows them; without them a long wait reads "later". */
    private readonly window?: { now: Date; reopensAt: Date },
  ) {
    super(detail);
  }
  /** The zone of whoever the link belongs to, for the page to name the time in. */
  shownIn(timeZone: string): this {
    this.zone = timeZone;
    return this;
  }
  get wait(): RetryWait | undefined {
    if (!this.window) return undefined;
    return { now: this.window.now, at: this.window.reopensAt, ...(this.zone ? { timeZone: this.zone } : {}) };
  }
}

/** A form posted without the session's CSRF token (or with no session at all). */
export class Forbidden extends DomainError {
  override readonly status = 403;
  override readonly messageKey = 'forbidden';
  override readonly publicReason = 'forbidden';
}

export class TooManyAttempts extends DomainError {
  override readonly status = 429;
  override readonly messageKey = 'tooManyRequests';
  override readonly publicReason = 'too many attempts';
  constructor(override readonly retryAfterSeconds: number) {
    super(`too many attempts; retry after ${retryAfterSeconds} s`);
  }
  override get params() {
    return { minutes: String(Math.max(1, Math.ceil(this.retryAfterSeconds / 60))) };
  }
}

/**
 * This process is already hashing or checking as many passwords as it may, with a full queue
 * (admin/auth/password-work.ts): asked again in a few seconds, not paused like TooManyAttempts.
 */
export class PasswordWorkBusy extends DomainError {
  override readonly status = 429;
  override readonly messageKey = 'signInBusy';
  override readonly publicReason = 'too many password checks at once';
  constructor(override readonly retryAfterSeconds: number) {
    super(`too many password checks at once; retry after ${retryAfterSeconds} s`);
  }
}

/**
 * Another Xendit report is being read by this process (admin/uploads.ts): this one was refused
 * before its body was read, and may be sent again in a few seconds.
 */
export class UploadBusy extends DomainError {
  override readonly status = 429;
  override readonly messageKey = 'uploadBusy';
  override readonly publicReason = 'another upload is being read';
  constructor(override readonly retryAfterSeconds: number) {
    super(`another upload is being read; retry after ${retryAfterSeconds} s`);
  }
}

/**
 * A Xendit report's body did not arrive within `seconds` of being let in, or stopped, or came too
 * slowly to (admin/uploads.ts): answered before the server's bare 408, with nothing read.
 */
export class UploadTooSlow extends DomainError {
  override readonly status = 408;
  override readonly messageKey = 'uploadTooSlow';
  override readonly publicReason = 'the upload took too long';
  constructor(readonly seconds: number) {
    super(`the upload's body did not arrive in time (${seconds} s at most)`);
  }
  override get params(): Record<string, string> {
    return { seconds: String(this.seconds) };
  }
}

/** First-run setup link unknown, expired or already used: one answer for all three. */
export class SetupLinkInvalid extends DomainError {
  override readonly status = 410;
  override readonly messageKey = 'linkExpired';
  override readonly publicReason = 'setup link expired or used';
}

/** An invite or password-reset link that is unknown, used, expired, or whose user was disabled. */
export class UserLinkInvalid extends DomainError {
  override readonly status = 410;
  override readonly messageKey = 'userLinkExpired';
  override readonly publicReason = 'link expired or used';
}

/** A merchant's staff user tried to change what only its owners (or operators) may change. */
export class OwnersOnly extends DomainError {
  override readonly status = 403;
  override readonly messageKey = 'ownersOnly';
  override readonly publicReason = 'only the merchant owners may change this';
}

/** An owner tried what only an operator may do to a peer (disable a co-owner): they see it exists, so 403 and why. */
export class OperatorsOnly extends DomainError {
  override readonly status = 403;
  override readonly messageKey = 'operatorsOnly';
  override readonly publicReason = 'only an operator may do this';
}

/** Anything the signed-in user may not see answers as if it did not exist. */
export class NotFound extends DomainError {
  override readonly status = 404;
  override readonly messageKey = 'notFound';
  override readonly publicReason = 'not found';
}

export class InvalidCredentials extends DomainError {
  override readonly status = 401;
  override readonly messageKey = 'badRequest';
  override readonly publicReason = 'e-mail or password is wrong';
}

export class Conflict extends DomainError {
  override readonly status = 409;
  override readonly messageKey = 'conflict';
  constructor(override readonly publicReason: string) {
    super(publicReason);
  }
}

/**
 * A form the user can correct: the page shows it again with these messages by field. 422 by
 * default; 400 for a value the form could never have offered (a choice not on its list); 409 for
 * StaleForm.
 */
export class FormInvalid extends DomainError {
  override readonly status: number;
  override readonly messageKey = 'badRequest';
  override readonly publicReason = 'the form has errors';
  /** By field: what to show next to it, as a catalogue key and its parameters. */
  readonly fields: Record<string, Message>;
  /** A bare string is a catalogue key ('errors:emailTaken'), as zod's errors give them. */
  constructor(fields: Record<string, Message | string>, status: 400 | 409 | 422 = 422) {
    const byField = Object.fromEntries(Object.entries(fields).map(([name, m]) => [name, typeof m === 'string' ? { key: m } : m]));
    super(
      Object.values(byField)
        .map((m) => m.key)
        .join('; '),
    );
    this.fields = byField;
    this.status = status;
  }
}

/**
 * The form was shown before someone else (another tab, another user) saved the same form: saving
 * it would silently undo their change. Nothing is written; the page shows the values as they are now.
 * Also a form sent without the version it was shown with ('errors:formVersionMissing'): it cannot be
 * told from one that would undo another save, so it is answered the same way.
 */
export class StaleForm extends FormInvalid {
  constructor(reason: 'errors:staleForm' | 'errors:formVersionMissing' = 'errors:staleForm') {
    super({ form: reason }, 409);
  }
}
