// Errors of the admin API (problem+json) and the S3 API (XML), turned into one message a person can act on.

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** Where an error came from; `network` when no HTTP answer arrived at all (server down, CORS refused). */
export type ErrorSource = 'admin' | 's3' | 'network' | 'portal';

export class PortalError extends Error {
  readonly source: ErrorSource;
  /** HTTP status, 0 when there was no answer. */
  readonly status: number;
  /** The S3 error code, or the problem type's last segment (`invalid`, `conflict`, ...). */
  readonly code: string;
  readonly fieldErrors: readonly FieldError[];
  constructor(source: ErrorSource, status: number, code: string, message: string, fieldErrors: readonly FieldError[] = []) {
    super(message);
    this.name = 'PortalError';
    this.source = source;
    this.status = status;
    this.code = code;
    this.fieldErrors = fieldErrors;
  }
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Not signed in (wrong or revoked key)',
  403: 'Access denied',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  412: 'Precondition failed',
  413: 'Too large',
  500: 'Internal server error',
  501: 'Not implemented',
  503: 'Service unavailable',
};

function statusText(status: number): string {
  return STATUS_TEXT[status] ?? `HTTP ${status}`;
}

function decodeXmlText(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (whole, entity: string) => {
    switch (entity) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const cp = entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
        return Number.isFinite(cp) && cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
      }
    }
  });
}

/** The text of the first `<name>` element of a small XML document, entities decoded; undefined when absent. */
export function xmlElementText(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`).exec(xml);
  return match?.[1] === undefined ? undefined : decodeXmlText(match[1]);
}

/** An S3 error response as a PortalError: `Code: Message`, or the status alone for bodiless answers (HEAD). */
export function s3Error(status: number, body: string): PortalError {
  const code = xmlElementText(body, 'Code');
  const message = xmlElementText(body, 'Message');
  if (code !== undefined) return new PortalError('s3', status, code, message !== undefined && message !== '' ? `${code}: ${message}` : code);
  return new PortalError('s3', status, `http-${status}`, `${statusText(status)} (HTTP ${status} from the S3 endpoint)`);
}

interface ProblemShape {
  readonly type?: unknown;
  readonly title?: unknown;
  readonly detail?: unknown;
  readonly errors?: unknown;
}

function asFieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  const out: FieldError[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const { path, message } = item as { path?: unknown; message?: unknown };
    if (typeof message === 'string') out.push({ path: typeof path === 'string' ? path : '', message });
  }
  return out;
}

/** An admin API error (application/problem+json) as a PortalError: `Title: detail`, then each field error. */
export function problemError(status: number, body: string): PortalError {
  let problem: ProblemShape | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) problem = parsed;
  } catch {
    problem = undefined;
  }
  if (problem === undefined) {
    const snippet = body.trim().slice(0, 200);
    return new PortalError('admin', status, `http-${status}`, snippet === '' ? `${statusText(status)} (HTTP ${status})` : `${statusText(status)} (HTTP ${status}): ${snippet}`);
  }
  const title = typeof problem.title === 'string' && problem.title !== '' ? problem.title : statusText(status);
  const detail = typeof problem.detail === 'string' ? problem.detail : '';
  const code = typeof problem.type === 'string' ? (problem.type.split(':').pop() ?? '') : `http-${status}`;
  const fieldErrors = asFieldErrors(problem.errors);
  // The detail usually restates the single field error; list the fields only when they add something.
  const extra = fieldErrors.filter((e) => !detail.includes(e.message)).map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`));
  const message = [detail === '' ? title : `${title}: ${detail}`, ...extra].join('; ');
  return new PortalError('admin', status, code, message, fieldErrors);
}

/** A failure before any HTTP answer (fetch threw): most often the server is down or refused the cross-origin call. */
export function networkError(what: string, cause: unknown): PortalError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new PortalError('network', 0, 'network', `${what} failed: no answer (${why}). Is the gateway running, and does its S3 endpoint allow this page's origin (CORS)?`);
}

/** Any thrown value as a message for the error banner. */
export function describeError(error: unknown): string {
  if (error instanceof PortalError) return error.message;
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
}
