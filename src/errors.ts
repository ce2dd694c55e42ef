import { MalformedInput, RefusedInput } from './pki/errors.js';

/**
 * Typed domain errors. Services throw these; the HTTP layer maps each to an
 * application/problem+json response (RFC 9457) with its status and public detail.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  /** Per-field problems, rendered as `errors` in the problem document. */
  readonly errors?: ReadonlyArray<{ path: string; message: string }>;

  constructor(detail: string, errors?: ReadonlyArray<{ path: string; message: string }>, options?: ErrorOptions) {
    super(detail, options);
    this.errors = errors;
  }
}

/** 400: the input is malformed (not JSON, wrong types, unparseable DER). */
export class BadRequest extends DomainError {
  readonly status = 400;
  readonly title = 'Bad Request';
}

/** 401: no credentials, or credentials that do not authenticate. */
export class Unauthenticated extends DomainError {
  readonly status = 401;
  readonly title = 'Unauthorized';
}

/** 403: the caller is known but its role may not do this. */
export class Forbidden extends DomainError {
  readonly status = 403;
  readonly title = 'Forbidden';
}

/** 404: unknown, or belonging to someone the caller may not see. */
export class NotFound extends DomainError {
  readonly status = 404;
  readonly title = 'Not Found';
}

/** 409: the resource is in a state that does not allow this (approve an issued request, duplicate import). */
export class Conflict extends DomainError {
  readonly status = 409;
  readonly title = 'Conflict';
}

/** 413: the body is larger than kyso accepts. */
export class TooLarge extends DomainError {
  readonly status = 413;
  readonly title = 'Content Too Large';
}

/** 422: well-formed but refused by policy (weak key, bad CCCD, unknown issuer). */
export class Refused extends DomainError {
  readonly status = 422;
  readonly title = 'Unprocessable Content';
}

/** 423: the signing account is locked after too many wrong PINs. */
export class Locked extends DomainError {
  readonly status = 423;
  readonly title = 'Locked';
}

/** 429: too many attempts; `retryAfterSeconds` becomes the Retry-After header. */
export class TooManyRequests extends DomainError {
  readonly status = 429;
  readonly title = 'Too Many Requests';
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(detail);
  }
}

/**
 * kyso's error for an error src/pki threw about client input: malformed → 400, refused → 422;
 * anything else unchanged.
 */
export function kysoErrorOf(err: unknown): unknown {
  if (err instanceof MalformedInput) return new BadRequest(err.message, undefined, { cause: err });
  if (err instanceof RefusedInput) return new Refused(err.message, undefined, { cause: err });
  return err;
}

/** Runs a src/pki call on client input, throwing its errors as kyso's (kysoErrorOf). */
export function fromPki<T>(call: () => T): T {
  try {
    const result = call();
    if (result instanceof Promise) {
      return result.catch((err: unknown) => {
        throw kysoErrorOf(err);
      }) as T;
    }
    return result;
  } catch (err) {
    throw kysoErrorOf(err);
  }
}
