// The CLI's exit codes, the errors that carry them, and how an admin API problem (RFC 9457) maps onto them.

/** Exit codes scripts can rely on (docs/cli.md, `dispersa --help`). */
export const EXIT = {
  ok: 0,
  /** The operation ran and found a problem: audit chain broken, damage left unrepaired, job failed. */
  problem: 1,
  /** Bad flags or input, including input the API refused with 400. */
  usage: 2,
  /** 401 / 403. */
  auth: 3,
  notFound: 4,
  conflict: 5,
  /** 5xx, connection refused, timeout. */
  unavailable: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type CliErrorKind = 'problem' | 'usage' | 'auth' | 'not-found' | 'conflict' | 'unavailable';

const EXIT_OF_KIND: Record<CliErrorKind, ExitCode> = {
  problem: EXIT.problem,
  usage: EXIT.usage,
  auth: EXIT.auth,
  'not-found': EXIT.notFound,
  conflict: EXIT.conflict,
  unavailable: EXIT.unavailable,
};

export class CliError extends Error {
  readonly kind: CliErrorKind;
  /** Further lines printed under the message (field errors, hints). */
  readonly details: readonly string[];
  /** The outcome was printed already (e.g. a broken audit chain as JSON): only the exit code is left to set. */
  readonly reported: boolean;
  constructor(kind: CliErrorKind, message: string, options: { readonly details?: readonly string[]; readonly reported?: boolean } = {}) {
    super(message);
    this.name = 'CliError';
    this.kind = kind;
    this.details = options.details ?? [];
    this.reported = options.reported ?? false;
  }

  get exitCode(): ExitCode {
    return EXIT_OF_KIND[this.kind];
  }
}

/** An `application/problem+json` body as the admin API sends it. */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly errors?: readonly { readonly path?: string; readonly message?: string }[];
  readonly instance?: string;
  readonly request_id?: string;
}

export function kindOfStatus(status: number): CliErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  // 429 is the server asking to come back later, like a 503.
  if (status >= 500 || status === 429) return 'unavailable';
  return 'usage';
}

export function exitCodeOfStatus(status: number): ExitCode {
  return EXIT_OF_KIND[kindOfStatus(status)];
}

/** A non-2xx answer of the admin API. */
export class ApiError extends CliError {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, problem: Problem, hint?: string) {
    const title = problem.title ?? `HTTP ${status}`;
    const detail = problem.detail !== undefined && problem.detail !== '' && problem.detail !== title ? `: ${problem.detail}` : '';
    const details = (problem.errors ?? []).map((e) => `  ${e.path ?? '-'}: ${e.message ?? ''}`);
    // 5xx details never say much; the request id lets the operator find the gateway's log line.
    if (status >= 500 && problem.request_id !== undefined) details.push(`  request id ${problem.request_id} (see the gateway's log)`);
    if (hint !== undefined) details.push(hint);
    super(kindOfStatus(status), `${title}${detail} (HTTP ${status})`, { details });
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

export function usageError(message: string): CliError {
  return new CliError('usage', message);
}

/** The text printed on stderr for an error: message, then its detail lines. */
export function describeError(error: CliError): string {
  return [`dispersa: ${error.message}`, ...error.details].join('\n');
}
