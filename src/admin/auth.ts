// Who is calling the admin API: SigV4 with an access key (body hash checked), a bearer token, or the root token.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createSigV4Verifier, type PayloadMode, type SigV4Request } from '../s3/auth/sigv4.ts';
import type { AdminDeps, AdminPrincipal } from './deps.ts';

/** `dsp_` and 43 base64url characters (32 random bytes). */
export const TOKEN_PATTERN = /^dsp_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new bearer token, its public id and the hash the metadata store keeps (never the token). */
export function newToken(): { readonly id: string; readonly token: string; readonly tokenHash: string } {
  const token = `dsp_${randomBytes(32).toString('base64url')}`;
  return { id: randomBytes(8).toString('hex'), token, tokenHash: hashToken(token) };
}

/** Compared as SHA-256 digests, so neither the length nor any prefix of the root token leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export type AuthOutcome =
  | { readonly kind: 'authenticated'; readonly principal: AdminPrincipal; readonly payload: PayloadMode | undefined }
  /** No credentials at all. */
  | { readonly kind: 'anonymous' }
  /** Credentials that did not check out; `actor` is who they claimed to be (or '-'), `reason` goes to the audit log. */
  | { readonly kind: 'failed'; readonly actor: string; readonly reason: string; readonly detail: string };

interface SigV4Principal {
  readonly secretKey: string;
  readonly principal: AdminPrincipal;
}

/** The access key a SigV4 request claims, read from its Credential (for the audit log of a failure). */
function claimedAccessKey(request: SigV4Request): string {
  const source = request.headers.authorization ?? decodeURIComponentSafe(/(?:^|&)X-Amz-Credential=([^&]*)/.exec(request.query)?.[1] ?? '');
  const match = /Credential=([^/,\s]+)\//.exec(source) ?? /^([^/,\s]+)\//.exec(source);
  return match?.[1] ?? '-';
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export interface AdminAuthenticator {
  authenticate(request: SigV4Request): Promise<AuthOutcome>;
}

/**
 * Administrators are the root team's keys whose default scope is `full`: a root-team key limited to reading (or to
 * some buckets by default) must not be able to change policies, keys or locations, nor shred a bucket.
 */
export function isAdministrator(found: { readonly teamId: string; readonly key: { readonly defaultScope: string; readonly revokedAt?: number } }, rootTeam: string): boolean {
  return found.teamId === rootTeam && found.key.defaultScope === 'full' && found.key.revokedAt === undefined;
}

export function createAdminAuthenticator(deps: AdminDeps): AdminAuthenticator {
  const verifier = createSigV4Verifier<SigV4Principal>({
    now: () => new Date(deps.now()),
    lookup: async (accessKeyId) => {
      const found = await deps.lookupKey(accessKeyId);
      if (found === null || found.key.revokedAt !== undefined) return null;
      return {
        secretKey: found.secretKey,
        principal: { accessKeyId, teamId: found.teamId, admin: isAdministrator(found, deps.rootTeam), key: found.key, via: 'sigv4' },
      };
    },
  });

  async function bearer(token: string): Promise<AuthOutcome> {
    if (deps.rootToken !== undefined && deps.rootToken !== '' && sameSecret(token, deps.rootToken)) {
      return { kind: 'authenticated', payload: undefined, principal: { accessKeyId: 'root-token', teamId: deps.rootTeam, admin: true, key: undefined, via: 'root-token' } };
    }
    if (!TOKEN_PATTERN.test(token)) return { kind: 'failed', actor: '-', reason: 'token-malformed', detail: 'the bearer token is not a Dispersa token' };
    const stored = await deps.meta.getTokenByHash(hashToken(token));
    if (stored === undefined) return { kind: 'failed', actor: '-', reason: 'token-unknown', detail: 'unknown bearer token' };
    const actor = `token/${stored.id}`;
    if (stored.revokedAt !== undefined) return { kind: 'failed', actor, reason: 'token-revoked', detail: 'the bearer token was revoked' };
    if (stored.expiresAt !== undefined && stored.expiresAt <= deps.now()) return { kind: 'failed', actor, reason: 'token-expired', detail: 'the bearer token has expired' };
    const found = await deps.lookupKey(stored.accessKeyId);
    if (found === null || found.key.revokedAt !== undefined) {
      return { kind: 'failed', actor, reason: 'key-revoked', detail: 'the access key this token acts as was revoked' };
    }
    return {
      kind: 'authenticated',
      payload: undefined,
      principal: { accessKeyId: stored.accessKeyId, teamId: found.teamId, admin: isAdministrator(found, deps.rootTeam), key: found.key, via: 'token' },
    };
  }

  return {
    async authenticate(request) {
      const authorization = request.headers.authorization;
      if (authorization !== undefined && /^bearer\s/i.test(authorization)) return bearer(authorization.slice(7).trim());
      const result = await verifier.verify(request);
      switch (result.kind) {
        case 'anonymous':
          return { kind: 'anonymous' };
        case 'rejected':
          return { kind: 'failed', actor: claimedAccessKey(request), reason: result.error.code, detail: result.error.message };
        case 'verified':
          if (result.payload.kind === 'streaming-signed' || result.payload.kind === 'streaming-unsigned-trailer') {
            return { kind: 'failed', actor: result.accessKeyId, reason: 'streaming-payload', detail: 'aws-chunked bodies are not accepted here: sign the SHA-256 of the body or UNSIGNED-PAYLOAD' };
          }
          return { kind: 'authenticated', principal: result.principal.principal, payload: result.payload };
        default: {
          const unknown: never = result;
          throw new Error(`unknown authentication result ${JSON.stringify(unknown)}`);
        }
      }
    },
  };
}

/** A SigV4 request signed the SHA-256 of its body: the body read must hash to it. */
export function bodyMatchesPayload(payload: PayloadMode | undefined, body: Buffer): boolean {
  if (payload === undefined || payload.kind !== 'sha256') return true;
  return createHash('sha256').update(body).digest('hex') === payload.sha256;
}
