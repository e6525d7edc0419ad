// Where the admin API is and who the CLI is to it (flags, then environment, then config file), and the HTTP client that talks to it.

import { join } from 'node:path';
import { ApiError, CliError, usageError, type Problem } from './errors.ts';
import type { CliIo } from './io.ts';
import { signRequest, type SigV4Credentials } from './sigv4-client.ts';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:9001';

/** The connection flags every admin command takes. */
export interface ConnectionFlags {
  readonly endpoint?: string;
  readonly token?: string;
  readonly accessKey?: string;
  readonly secretKey?: string;
  readonly config?: string;
}

export type Credentials =
  | { readonly kind: 'token'; readonly token: string }
  | ({ readonly kind: 'keys' } & SigV4Credentials)
  | { readonly kind: 'none' };

export interface ConnectionSettings {
  readonly endpoint: URL;
  readonly credentials: Credentials;
}

/** Credentials as one source (flags, environment, file) names them. */
interface Source {
  readonly name: string;
  readonly token: string | undefined;
  readonly accessKey: string | undefined;
  readonly secretKey: string | undefined;
}

const nonEmpty = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function readConfigFile(io: CliIo, flags: ConnectionFlags): { path: string; values: Record<string, unknown> } | undefined {
  const explicit = nonEmpty(flags.config) ?? nonEmpty(io.env.DISPERSA_CLI_CONFIG);
  const path = explicit ?? join(io.homeDir, '.config', 'dispersa', 'cli.json');
  let text: string;
  try {
    text = io.readFile(path);
  } catch (error) {
    // Only a file the operator named must exist.
    if (explicit === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw usageError(`config file ${path}: ${(error as Error).message}`);
  }
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (error) {
    throw usageError(`config file ${path}: ${(error as Error).message}`);
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw usageError(`config file ${path}: expected a JSON object like {"endpoint": "...", "token": "..."}`);
  const known = ['endpoint', 'token', 'access_key', 'secret_key'];
  for (const key of Object.keys(values)) if (!known.includes(key)) throw usageError(`config file ${path}: unknown setting ${JSON.stringify(key)} (known: ${known.join(', ')})`);
  for (const key of known) {
    const value = (values as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== 'string') throw usageError(`config file ${path}: ${key} must be a string`);
  }
  return { path, values: values as Record<string, unknown> };
}

/**
 * Flags beat the environment, which beats the config file. The first source naming any credential decides which
 * kind is used; within one source a token goes before keys, and an access key whose secret is missing there takes it
 * from a later source (e.g. `--access-key` with `DISPERSA_SECRET_KEY` in the environment).
 */
export function resolveConnection(flags: ConnectionFlags, io: CliIo): ConnectionSettings {
  const env = io.env;
  const file = readConfigFile(io, flags);
  const sources: Source[] = [
    { name: 'the command line', token: nonEmpty(flags.token), accessKey: nonEmpty(flags.accessKey), secretKey: nonEmpty(flags.secretKey) },
    { name: 'DISPERSA_ADMIN_TOKEN / DISPERSA_ACCESS_KEY / DISPERSA_SECRET_KEY', token: nonEmpty(env.DISPERSA_ADMIN_TOKEN), accessKey: nonEmpty(env.DISPERSA_ACCESS_KEY), secretKey: nonEmpty(env.DISPERSA_SECRET_KEY) },
    { name: 'DISPERSA_ROOT_ACCESS_KEY / DISPERSA_ROOT_SECRET_KEY', token: undefined, accessKey: nonEmpty(env.DISPERSA_ROOT_ACCESS_KEY), secretKey: nonEmpty(env.DISPERSA_ROOT_SECRET_KEY) },
    ...(file === undefined ? [] : [{ name: `config file ${file.path}`, token: nonEmpty(file.values.token), accessKey: nonEmpty(file.values.access_key), secretKey: nonEmpty(file.values.secret_key) }]),
  ];
  const cli = sources[0];
  if (cli !== undefined && cli.token !== undefined && (cli.accessKey !== undefined || cli.secretKey !== undefined)) {
    throw usageError('give either --token or --access-key/--secret-key, not both');
  }

  let credentials: Credentials = { kind: 'none' };
  for (const [i, source] of sources.entries()) {
    if (source.token !== undefined) {
      credentials = { kind: 'token', token: source.token };
      break;
    }
    if (source.accessKey === undefined && source.secretKey === undefined) continue;
    const accessKeyId = source.accessKey ?? sources.slice(i + 1).find((s) => s.accessKey !== undefined)?.accessKey;
    const secretAccessKey = source.secretKey ?? sources.slice(i + 1).find((s) => s.secretKey !== undefined)?.secretKey;
    if (accessKeyId === undefined) throw usageError(`${source.name} gives a secret key without its access key`);
    if (secretAccessKey === undefined) throw usageError(`${source.name} gives access key ${accessKeyId} without its secret key (--secret-key or DISPERSA_SECRET_KEY)`);
    credentials = { kind: 'keys', accessKeyId, secretAccessKey };
    break;
  }

  const endpointText = nonEmpty(flags.endpoint) ?? nonEmpty(env.DISPERSA_ADMIN_URL) ?? nonEmpty(file?.values.endpoint) ?? DEFAULT_ENDPOINT;
  let endpoint: URL;
  try {
    endpoint = new URL(endpointText);
  } catch {
    throw usageError(`the admin endpoint ${JSON.stringify(endpointText)} is not a URL (e.g. ${DEFAULT_ENDPOINT})`);
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw usageError(`the admin endpoint must be an http or https URL, got ${endpointText}`);
  return { endpoint, credentials };
}

export type QueryValue = string | number | boolean | undefined;

export interface CallOptions {
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: unknown;
}

/** Encodes each path segment, so names with spaces or slashes stay one segment. */
export function apiPath(...segments: readonly (string | number)[]): string {
  return segments.map((s, i) => (i === 0 ? String(s) : encodeURIComponent(String(s)))).join('/');
}

const REQUEST_TIMEOUT_MS = 120_000;

/** JSON over HTTP to the admin API: signs or attaches the token, maps failures onto CLI errors. */
export class AdminClient {
  constructor(
    readonly settings: ConnectionSettings,
    private readonly io: CliIo,
  ) {}

  url(path: string, query?: Readonly<Record<string, QueryValue>>): URL {
    const base = this.settings.endpoint.href.replace(/\/+$/, '');
    const url = new URL(base + path);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  /** The parsed JSON answer; undefined for an empty one (204). Throws ApiError or an `unavailable` CliError. */
  async call(method: string, path: string, options: CallOptions = {}): Promise<unknown> {
    const url = this.url(path, options.query);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const credentials = this.settings.credentials;
    if (credentials.kind === 'token') headers.authorization = `Bearer ${credentials.token}`;
    if (credentials.kind === 'keys') {
      headers = signRequest({ method, url, headers, ...(body === undefined ? {} : { body }) }, credentials, { now: this.io.now() });
      // fetch derives Host from the URL itself, exactly as it was signed.
      delete headers.host;
    }
    let response: Response;
    try {
      response = await this.io.fetch(url, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new CliError('unavailable', `cannot reach the admin API at ${this.settings.endpoint.origin}: ${networkReason(error)}`, {
        details: ['  is `dispersa serve` running there? (--endpoint URL or DISPERSA_ADMIN_URL; the admin port is 9001 by default)'],
      });
    }
    const text = await response.text();
    if (response.ok) {
      if (text === '') return undefined;
      try {
        return JSON.parse(text);
      } catch {
        throw new CliError('unavailable', `the admin API at ${url.origin} answered ${method} ${url.pathname} with something that is not JSON`);
      }
    }
    throw new ApiError(response.status, parseProblem(text, response), response.status === 401 && credentials.kind === 'none' ? NO_CREDENTIALS_HINT : undefined);
  }
}

const NO_CREDENTIALS_HINT =
  '  no credentials were given: use --token (DISPERSA_ADMIN_TOKEN), or --access-key and --secret-key (DISPERSA_ACCESS_KEY, DISPERSA_SECRET_KEY), or a config file (--config, ~/.config/dispersa/cli.json)';

function parseProblem(text: string, response: Response): Problem {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {
    // Not problem+json (a proxy's page, say): the status line is all there is.
  }
  const detail = text.trim().slice(0, 300);
  return { title: response.statusText === '' ? `HTTP ${response.status}` : response.statusText, status: response.status, ...(detail === '' ? {} : { detail }) };
}

function networkReason(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
    const cause = (error as Error & { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as NodeJS.ErrnoException).code;
      return code === undefined ? cause.message : `${code} (${cause.message})`;
    }
    return error.message;
  }
  return String(error);
}
