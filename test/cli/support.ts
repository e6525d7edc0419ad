// A CLI run against recorded I/O: a fake admin API (a function of the request), captured stdout and stderr.

import type { CliIo } from '../../src/cli/io.ts';
import { runCli } from '../../src/cli/program.ts';

export interface RecordedRequest {
  readonly method: string;
  readonly url: URL;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string>;
  /** The JSON body, parsed; undefined when none. */
  readonly body: unknown;
}

/** What the fake API answers: a status and a JSON body (none for 204). */
export type FakeAnswer = readonly [status: number, body?: unknown];
export type FakeApi = (request: RecordedRequest) => FakeAnswer | Promise<FakeAnswer>;

export interface FakeOptions {
  readonly api?: FakeApi;
  readonly env?: NodeJS.ProcessEnv;
  readonly files?: Readonly<Record<string, string>>;
  readonly stdin?: string;
  /** Lines typed at prompts, in order; undefined = end of input. */
  readonly lines?: readonly (string | undefined)[];
  readonly homeDir?: string;
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly requests: RecordedRequest[];
  readonly prompts: string[];
}

export async function runFake(argv: readonly string[], options: FakeOptions = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const requests: RecordedRequest[] = [];
  const prompts: string[] = [];
  const lines = [...(options.lines ?? [])];
  const api = options.api ?? (() => [200, {}] as const);
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries((init?.headers ?? {}) as Record<string, string>)) headers[name.toLowerCase()] = value;
    const text = typeof init?.body === 'string' ? init.body : undefined;
    const request: RecordedRequest = {
      method: init?.method ?? 'GET',
      url,
      path: decodeURIComponent(url.pathname),
      query: Object.fromEntries(url.searchParams),
      headers,
      body: text === undefined ? undefined : JSON.parse(text),
    };
    requests.push(request);
    const [status, body] = await api(request);
    const problem = status >= 400;
    return new Response(body === undefined || status === 204 ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': problem ? 'application/problem+json' : 'application/json' },
    });
  };
  const io: CliIo = {
    stdout: (t) => { out.push(t.endsWith('\n') ? t : `${t}\n`); },
    stderr: (t) => { err.push(t.endsWith('\n') ? t : `${t}\n`); },
    progressStream: undefined,
    readLine: (prompt) => {
      prompts.push(prompt);
      return Promise.resolve(lines.shift());
    },
    readStdin: () => Promise.resolve(options.stdin ?? ''),
    readFile: (path) => {
      const content = options.files?.[path];
      if (content === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
      return content;
    },
    env: options.env ?? {},
    homeDir: options.homeDir ?? '/nonexistent-home',
    fetch: fakeFetch,
    now: () => new Date(),
    sleep: () => Promise.resolve(),
  };
  const code = await runCli(argv, io);
  return { code, stdout: out.join(''), stderr: err.join(''), requests, prompts };
}

/** A problem+json body as the admin API sends it. */
export function problem(status: number, title: string, detail: string, errors: { path: string; message: string }[] = []): FakeAnswer {
  return [status, { type: `urn:dispersa:problem:${title.toLowerCase().replace(/ /g, '-')}`, title, status, detail, errors, request_id: 'REQ1' }];
}
