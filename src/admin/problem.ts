// Errors of the admin API as application/problem+json (RFC 9457): one table of kinds, statuses and titles.

import type { z } from 'zod';
import { isMetaError, type MetaErrorKind } from '../meta/errors.ts';
import { describeFieldError, fieldErrorsOf, type FieldError } from '../objects/policy-document.ts';
import { ControlError, type ControlErrorKind } from './deps.ts';
import type { problemSchema } from './schemas.ts';

export type ProblemKind = 'invalid' | 'unauthenticated' | 'forbidden' | 'not-found' | 'method-not-allowed' | 'conflict' | 'too-large' | 'unavailable' | 'internal';

export const PROBLEMS: Readonly<Record<ProblemKind, { readonly status: number; readonly title: string }>> = {
  invalid: { status: 400, title: 'Invalid request' },
  unauthenticated: { status: 401, title: 'Not authenticated' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  'too-large': { status: 413, title: 'Request body too large' },
  unavailable: { status: 503, title: 'Service unavailable' },
  internal: { status: 500, title: 'Internal error' },
};

export const PROBLEM_TYPE_PREFIX = 'urn:dispersa:problem:';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A request the API refuses; its message is the problem's `detail`, so it must be safe to show the caller. */
export class Problem extends Error {
  readonly kind: ProblemKind;
  readonly errors: readonly FieldError[] | undefined;
  /** Extra response headers (Allow, WWW-Authenticate). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(kind: ProblemKind, detail: string, options: { readonly errors?: readonly FieldError[]; readonly headers?: Readonly<Record<string, string>>; readonly cause?: unknown } = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'Problem';
    this.kind = kind;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return PROBLEMS[this.kind].status;
  }

  /** A 400 naming the first bad field in its detail and listing all of them. */
  static invalid(errors: readonly FieldError[]): Problem {
    const first = errors[0];
    return new Problem('invalid', first === undefined ? 'the request is invalid' : describeFieldError(first), { errors });
  }

  static fromZod(error: z.ZodError): Problem {
    return Problem.invalid(fieldErrorsOf(error));
  }
}

export type ProblemBody = z.output<typeof problemSchema>;

export function problemBody(problem: Problem, instance: string, requestId: string): ProblemBody {
  const { status, title } = PROBLEMS[problem.kind];
  return {
    type: PROBLEM_TYPE_PREFIX + problem.kind,
    title,
    status,
    detail: problem.message,
    ...(problem.errors === undefined || problem.errors.length === 0 ? {} : { errors: [...problem.errors] }),
    instance,
    request_id: requestId,
  };
}

function kindOfControlError(kind: ControlErrorKind): ProblemKind {
  switch (kind) {
    case 'invalid':
      return 'invalid';
    case 'not-found':
      return 'not-found';
    case 'conflict':
      return 'conflict';
    case 'unavailable':
      return 'unavailable';
    case 'forbidden':
      return 'forbidden';
    default: {
      const unknown: never = kind;
      throw new Error(`unknown control error kind ${String(unknown)}`);
    }
  }
}

function kindOfMetaError(kind: MetaErrorKind): ProblemKind {
  switch (kind) {
    case 'no-such-bucket':
    case 'no-such-upload':
    case 'no-such-intent':
    case 'no-such-team':
    case 'no-such-access-key':
    case 'no-such-policy':
    case 'no-such-location':
    case 'no-such-token':
      return 'not-found';
    case 'bucket-exists':
    case 'bucket-not-empty':
    case 'intent-exists':
    case 'team-exists':
    case 'access-key-exists':
    case 'policy-in-use':
    case 'location-exists':
    case 'precondition-failed':
    case 'conflict':
      return 'conflict';
    case 'invalid':
    case 'invalid-part':
      return 'invalid';
    case 'unavailable':
      return 'unavailable';
    default: {
      const unknown: never = kind;
      throw new Error(`unknown metadata error kind ${String(unknown)}`);
    }
  }
}

/**
 * The problem an error thrown by a handler or a service stands for; undefined for anything else (a bug: answered as
 * `internal`, its details logged and never shown).
 */
export function problemOf(error: unknown): Problem | undefined {
  if (error instanceof Problem) return error;
  if (error instanceof ControlError) {
    const kind = kindOfControlError(error.kind);
    return new Problem(kind, error.message, error.errors.length > 0 ? { errors: error.errors, cause: error } : { cause: error });
  }
  if (isMetaError(error)) {
    const kind = kindOfMetaError(error.kind);
    // The store's own words may name its connection or files: an unanswering store is described, not quoted.
    return new Problem(kind, kind === 'unavailable' ? 'the metadata store does not answer' : error.message, { cause: error });
  }
  return undefined;
}
