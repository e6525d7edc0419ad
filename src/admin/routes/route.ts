// What a route of the admin API is: method, path pattern, who may call it, its schemas, its audit entry and its handler.

import type { z } from 'zod';
import type { AdminDeps, AdminPrincipal } from '../deps.ts';
import { Problem } from '../problem.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `public`: no credentials; `any`: any authenticated caller; `admin`: administrators only. */
export type AuthRequirement = 'public' | 'any' | 'admin';

export interface RouteContext<B, Q> {
  readonly deps: AdminDeps;
  /** Undefined only on public routes. */
  readonly principal: AdminPrincipal | undefined;
  /** Path parameters, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: Q;
  readonly body: B;
  readonly requestId: string;
  /** The request path, for problem `instance`s. */
  readonly path: string;
  /** Refines the audit entry once the handler knows more (the id of a created key, a shred rather than a delete). */
  refineAudit(change: { readonly operation?: string; readonly target?: string }): void;
}

export type Reply =
  | { readonly kind: 'json'; readonly status: number; readonly body: unknown; readonly headers?: Readonly<Record<string, string>> }
  | { readonly kind: 'empty'; readonly status: number }
  | { readonly kind: 'text'; readonly status: number; readonly contentType: string; readonly body: string }
  | { readonly kind: 'file'; readonly file: string; readonly contentType: string; readonly cacheControl: string };

export interface ResponseSpec {
  readonly status: number;
  readonly description: string;
  /** The body; none for 204. */
  readonly schema?: z.ZodType;
  /** Default application/json. */
  readonly contentType?: string;
}

export interface AuditSpec {
  /** e.g. 'policy.create'. */
  readonly operation: string;
  /** e.g. 'policy/eu'; `body` is the raw JSON (possibly invalid), so read it defensively. */
  readonly target: (params: Readonly<Record<string, string>>, body: unknown) => string;
}

export interface RouteSpec<B, Q> {
  readonly method: HttpMethod;
  /** `/api/v1/policies/{name}`: literal segments and `{param}` segments. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly auth: AuthRequirement;
  readonly body?: z.ZodType<B>;
  readonly query?: z.ZodType<Q>;
  readonly responses: readonly ResponseSpec[];
  /** State-changing routes: every call after authentication is appended to the audit log. */
  readonly audit?: AuditSpec;
  readonly handle: (ctx: RouteContext<B, Q>) => Promise<Reply>;
}

export type Route = RouteSpec<unknown, unknown>;

/** Erases a route's body and query types for the table; the server parses both with the route's own schemas first. */
export function defineRoute<B = undefined, Q = Record<string, never>>(spec: RouteSpec<B, Q>): Route {
  return { ...spec, handle: (ctx) => spec.handle(ctx as RouteContext<B, Q>) };
}

export function json<S extends z.ZodType>(status: number, _schema: S, body: z.output<S>, headers?: Readonly<Record<string, string>>): Reply {
  return headers === undefined ? { kind: 'json', status, body } : { kind: 'json', status, body, headers };
}

export const noContent: Reply = { kind: 'empty', status: 204 };

/** The caller of an authenticated route. */
export function caller(ctx: RouteContext<unknown, unknown>): AdminPrincipal {
  if (ctx.principal === undefined) throw new Error('an authenticated route ran without a principal');
  return ctx.principal;
}

export function param(ctx: RouteContext<unknown, unknown>, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`route has no parameter ${name}`);
  return value;
}

/** RFC 3339 in UTC, as every time in a response. */
export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null | undefined): string | null => (ms === undefined || ms === null ? null : iso(ms));

/** A string field of a raw (possibly invalid) JSON body, for audit targets. */
export function rawField(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

export function forbidden(detail: string): Problem {
  return new Problem('forbidden', detail);
}

export function notFound(detail: string): Problem {
  return new Problem('not-found', detail);
}

// ---------------------------------------------------------------------------------------------------------------------
// Matching

type Segment = { readonly kind: 'literal'; readonly text: string } | { readonly kind: 'param'; readonly name: string };

function segmentsOf(path: string): Segment[] {
  return path
    .split('/')
    .slice(1)
    .map((s) => (s.startsWith('{') && s.endsWith('}') ? { kind: 'param', name: s.slice(1, -1) } : { kind: 'literal', text: s }));
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'wrong-method'; readonly allow: readonly string[] }
  | { readonly kind: 'none' };

export interface RouteTable {
  /** `segments`: the path split at '/', each percent-decoded. HEAD matches GET. */
  match(method: string, segments: readonly string[]): RouteMatch;
}

export function compileRoutes(routes: readonly Route[]): RouteTable {
  const compiled = routes.map((route) => ({ route, segments: segmentsOf(route.path) }));
  const seen = new Set<string>();
  for (const { route } of compiled) {
    const key = `${route.method} ${route.path.replace(/\{[^}]+\}/g, '{}')}`;
    if (seen.has(key)) throw new Error(`two admin routes for ${key}`);
    seen.add(key);
  }

  /** Parameters when the pattern matches; literal segments outrank parameters at the same position. */
  function bind(pattern: readonly Segment[], segments: readonly string[]): Record<string, string> | undefined {
    if (pattern.length !== segments.length) return undefined;
    const params: Record<string, string> = {};
    for (let i = 0; i < pattern.length; i++) {
      const p = pattern[i];
      const s = segments[i] ?? '';
      if (p === undefined) return undefined;
      if (p.kind === 'literal') {
        if (p.text !== s) return undefined;
      } else {
        if (s === '') return undefined;
        params[p.name] = s;
      }
    }
    return params;
  }

  const literalCount = (pattern: readonly Segment[]): number => pattern.filter((s) => s.kind === 'literal').length;

  return {
    match(method, segments) {
      const wanted = method === 'HEAD' ? 'GET' : method;
      const candidates = compiled
        .map((c) => ({ ...c, params: bind(c.segments, segments) }))
        .filter((c): c is typeof c & { params: Record<string, string> } => c.params !== undefined);
      if (candidates.length === 0) return { kind: 'none' };
      // The most specific pattern that matches decides which path this is (e.g. /audit/verify over /audit/{x}).
      const best = Math.max(...candidates.map((c) => literalCount(c.segments)));
      const samePath = candidates.filter((c) => literalCount(c.segments) === best);
      const hit = samePath.find((c) => c.route.method === wanted);
      if (hit !== undefined) return { kind: 'found', route: hit.route, params: hit.params };
      const allow: string[] = [...new Set(samePath.map((c) => c.route.method))];
      if (allow.includes('GET')) allow.push('HEAD');
      return { kind: 'wrong-method', allow };
    },
  };
}
