// The admin port on node:http: route → authenticate → read body (≤ 1 MiB) → authorise → validate → handler → audit.

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { PARSE_OPTIONS } from '../objects/policy-document.ts';
import type { PayloadMode } from '../s3/auth/sigv4.ts';
import { bodyMatchesPayload, createAdminAuthenticator } from './auth.ts';
import type { AdminDeps, AdminPrincipal } from './deps.ts';
import { ROUTES } from './openapi.ts';
import { Problem, PROBLEM_CONTENT_TYPE, problemBody, problemOf } from './problem.ts';
import { isApiPath, portalFile } from './routes/portal.ts';
import { compileRoutes, type Reply, type Route } from './routes/route.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

const NO_QUERY = z.strictObject({});
const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer realm="dispersa"' };

function headerRecord(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) out[name] = Array.isArray(value) ? value.join(',') : value;
  return out;
}

function decodeSegments(rawPath: string): string[] {
  try {
    return rawPath.split('/').slice(1).map((s) => decodeURIComponent(s));
  } catch {
    throw Problem.invalid([{ path: '', message: `the path ${JSON.stringify(rawPath)} is not valid percent-encoding` }]);
  }
}

/** Reads the whole body, refusing more than `limit` bytes (admin bodies are small JSON documents). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limit) throw new Problem('too-large', `the body is ${declared} bytes; at most ${limit} are accepted`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw new Problem('too-large', `the body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Query parameters as one string each; SigV4's own (pre-signed URLs) are the authenticator's business. */
function queryObject(rawQuery: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    if (/^x-amz-/i.test(name)) continue;
    if (Object.hasOwn(out, name)) throw Problem.invalid([{ path: name, message: 'is given more than once' }]);
    out[name] = value;
  }
  return out;
}

/** The body as JSON (an empty body is `{}`), or the 400 it earns. */
function parseJson(bytes: Buffer): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: Problem } {
  if (bytes.length === 0) return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch (error) {
    return { ok: false, problem: Problem.invalid([{ path: '', message: `the body is not valid JSON (${(error as Error).message})` }]) };
  }
}

function parseWith(schema: z.ZodType, value: unknown): unknown {
  const parsed = schema.safeParse(value, PARSE_OPTIONS);
  if (!parsed.success) throw Problem.fromZod(parsed.error);
  return parsed.data;
}

/** What the audit entry of a state-changing route is made of, filled in as the request goes. */
interface AuditState {
  /** The body as JSON, when it parsed: targets are read from it even when it fails validation. */
  rawBody: unknown;
  operation: string | undefined;
  target: string | undefined;
  /** The body failed its signed hash: that is an `auth.failure`, recorded already. */
  authFailed: boolean;
}

/** Builds the request listener of the admin port. */
export function createAdminListener(deps: AdminDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const table = compileRoutes(ROUTES);
  const authenticator = createAdminAuthenticator(deps);

  /** An audit failure must not change the answer: it is logged, the response goes out. */
  async function audit(entry: { actor: string; teamId: string; operation: string; target: string; result: string; requestId: string }): Promise<void> {
    try {
      await deps.audit.record(entry);
    } catch (error) {
      deps.log(`audit entry for request ${entry.requestId} (${entry.operation} ${entry.target} ${entry.result}) could not be recorded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async function send(req: IncomingMessage, res: ServerResponse, reply: Reply): Promise<void> {
    const head = req.method === 'HEAD';
    switch (reply.kind) {
      case 'json': {
        const body = JSON.stringify(reply.body);
        res.statusCode = reply.status;
        for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.setHeader('cache-control', 'no-store');
        res.setHeader('content-length', Buffer.byteLength(body));
        res.end(head ? undefined : body);
        return;
      }
      case 'empty':
        res.statusCode = reply.status;
        res.end();
        return;
      case 'text':
        res.statusCode = reply.status;
        res.setHeader('content-type', reply.contentType);
        res.setHeader('cache-control', 'no-store');
        res.setHeader('content-length', Buffer.byteLength(reply.body));
        res.end(head ? undefined : reply.body);
        return;
      case 'file': {
        const info = await stat(reply.file).catch(() => undefined);
        if (info === undefined || !info.isFile()) throw new Problem('not-found', 'the portal has no such file');
        res.statusCode = 200;
        res.setHeader('content-type', reply.contentType);
        res.setHeader('cache-control', reply.cacheControl);
        res.setHeader('content-length', info.size);
        if (head) {
          res.end();
          return;
        }
        await pipeline(createReadStream(reply.file), res);
        return;
      }
      default: {
        const unknown: never = reply;
        throw new Error(`unknown reply ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Runs an authenticated (or public) route: body, authorisation, validation, handler. */
  async function run(
    req: IncomingMessage,
    route: Route,
    call: { params: Readonly<Record<string, string>>; rawQuery: string; rawPath: string; requestId: string; principal: AdminPrincipal | undefined; payload: PayloadMode | undefined },
    auditState: AuditState,
  ): Promise<Reply> {
    const bytes = await readBody(req, MAX_BODY_BYTES);
    if (!bodyMatchesPayload(call.payload, bytes)) {
      auditState.authFailed = true;
      await audit({ actor: call.principal?.accessKeyId ?? '-', teamId: '-', operation: 'auth.failure', target: `${req.method ?? 'GET'} ${call.rawPath}`, result: 'XAmzContentSHA256Mismatch', requestId: call.requestId });
      throw new Problem('unauthenticated', 'the body does not hash to the signed x-amz-content-sha256', { headers: WWW_AUTHENTICATE });
    }
    const json = route.body === undefined ? undefined : parseJson(bytes);
    if (json?.ok === true) auditState.rawBody = json.value;
    if (route.auth === 'admin' && call.principal?.admin !== true) throw new Problem('forbidden', `${route.method} ${route.path} is for administrators only`);
    const query = parseWith(route.query ?? NO_QUERY, queryObject(call.rawQuery));
    if (json !== undefined && !json.ok) throw json.problem;
    const body = route.body === undefined || json === undefined ? undefined : parseWith(route.body, json.value);
    return route.handle({
      deps,
      principal: call.principal,
      params: call.params,
      query,
      body,
      requestId: call.requestId,
      path: call.rawPath,
      refineAudit: (change) => {
        if (change.operation !== undefined) auditState.operation = change.operation;
        if (change.target !== undefined) auditState.target = change.target;
      },
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    const segments = decodeSegments(rawPath);
    const match = table.match(method, segments);
    switch (match.kind) {
      case 'none': {
        const decoded = `/${segments.join('/')}`;
        if ((method === 'GET' || method === 'HEAD') && deps.portalDir !== undefined && !isApiPath(decoded)) {
          await send(req, res, await portalFile(deps.portalDir, decoded));
          return;
        }
        throw new Problem('not-found', `no route for ${method} ${rawPath}`);
      }
      case 'wrong-method':
        throw new Problem('method-not-allowed', `${method} is not allowed on ${rawPath}; allowed: ${match.allow.join(', ')}`, { headers: { allow: match.allow.join(', ') } });
      case 'found':
        break;
      default: {
        const unknown: never = match;
        throw new Error(`unknown route match ${JSON.stringify(unknown)}`);
      }
    }

    const { route, params } = match;
    let principal: AdminPrincipal | undefined;
    let payload: PayloadMode | undefined;
    if (route.auth !== 'public') {
      const outcome = await authenticator.authenticate({ method, path: rawPath, query: rawQuery, headers: headerRecord(req) });
      switch (outcome.kind) {
        case 'anonymous':
          throw new Problem('unauthenticated', 'credentials are required: sign the request with an access key (SigV4) or send Authorization: Bearer <token>', { headers: WWW_AUTHENTICATE });
        case 'failed':
          await audit({ actor: outcome.actor, teamId: '-', operation: 'auth.failure', target: `${method} ${rawPath}`, result: outcome.reason, requestId });
          throw new Problem('unauthenticated', outcome.detail, { headers: WWW_AUTHENTICATE });
        case 'authenticated':
          principal = outcome.principal;
          payload = outcome.payload;
          break;
        default: {
          const unknown: never = outcome;
          throw new Error(`unknown authentication outcome ${JSON.stringify(unknown)}`);
        }
      }
    }

    const auditState: AuditState = { rawBody: undefined, operation: undefined, target: undefined, authFailed: false };
    let reply: Reply | undefined;
    let failure: unknown;
    try {
      reply = await run(req, route, { params, rawQuery, rawPath, requestId, principal, payload }, auditState);
    } catch (error) {
      failure = error;
    }
    if (route.audit !== undefined && principal !== undefined && !auditState.authFailed) {
      let target = auditState.target;
      if (target === undefined) {
        try {
          target = route.audit.target(params, auditState.rawBody);
        } catch {
          target = '-';
        }
      }
      const result = reply !== undefined ? 'ok' : (problemOf(failure)?.kind ?? 'internal');
      await audit({ actor: principal.accessKeyId, teamId: principal.teamId, operation: auditState.operation ?? route.audit.operation, target, result, requestId });
    }
    if (reply === undefined) throw failure;
    await send(req, res, reply);
  }

  function sendProblem(req: IncomingMessage, res: ServerResponse, requestId: string, error: unknown): void {
    let problem = problemOf(error);
    if (problem === undefined) {
      deps.log(`admin request ${requestId} (${req.method ?? '?'} ${req.url ?? '?'}) failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      problem = new Problem('internal', `an internal error occurred; the gateway's log has the details under request id ${requestId}`);
    } else if (problem.kind === 'internal' || problem.kind === 'unavailable') {
      deps.log(`admin request ${requestId} (${req.method ?? '?'} ${req.url ?? '?'}): ${problem.kind}: ${problem.message}`);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A body the client is still sending is not read any further: close the connection after this answer.
    if (!req.complete) res.setHeader('connection', 'close');
    const body = JSON.stringify(problemBody(problem, (req.url ?? '/').split('?')[0] ?? '/', requestId));
    res.statusCode = problem.status;
    for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
    res.setHeader('content-type', PROBLEM_CONTENT_TYPE);
    res.setHeader('cache-control', 'no-store');
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  return (req, res) => {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    res.setHeader('x-request-id', requestId);
    res.setHeader('x-content-type-options', 'nosniff');
    handle(req, res, requestId).catch((error: unknown) => {
      sendProblem(req, res, requestId, error);
    });
  };
}
