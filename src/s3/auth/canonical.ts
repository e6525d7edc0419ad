// SigV4 canonical forms for S3: URI encoding, the canonical path and query, header value trimming.

/**
 * Percent-decodes `raw` into bytes. `%XY` with two hex digits becomes one byte; every other
 * character (including a stray `%`) stands for its own UTF-8 bytes. With `plusIsSpace`, `+` is a
 * space, as in query strings.
 */
export function percentDecode(raw: string, plusIsSpace: boolean): Uint8Array {
  // Fast path: nothing to decode.
  if (!raw.includes('%') && !(plusIsSpace && raw.includes('+'))) return new TextEncoder().encode(raw);
  const out: number[] = [];
  const encoder = new TextEncoder();
  let literalStart = 0;
  const flush = (end: number): void => {
    if (end > literalStart) for (const b of encoder.encode(raw.slice(literalStart, end))) out.push(b);
  };
  for (let i = 0; i < raw.length; i++) {
    const ch = raw.charCodeAt(i);
    if (ch === 0x25 /* % */ && i + 2 < raw.length && isHex(raw.charCodeAt(i + 1)) && isHex(raw.charCodeAt(i + 2))) {
      flush(i);
      out.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
      literalStart = i + 1;
    } else if (plusIsSpace && ch === 0x2b /* + */) {
      flush(i);
      out.push(0x20);
      literalStart = i + 1;
    }
  }
  flush(raw.length);
  return Uint8Array.from(out);
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

const HEX = '0123456789ABCDEF';

function isUnreserved(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e
  );
}

/** AWS `UriEncode`: unreserved bytes (A–Z a–z 0–9 - . _ ~) as is, everything else `%XY` upper-case; `/` kept when `keepSlash`. */
export function uriEncodeBytes(bytes: Uint8Array, keepSlash: boolean): string {
  let out = '';
  for (const b of bytes) {
    if (isUnreserved(b) || (keepSlash && b === 0x2f)) out += String.fromCharCode(b);
    else out += '%' + (HEX[b >> 4] ?? '') + (HEX[b & 15] ?? '');
  }
  return out;
}

/** AWS `UriEncode` of a string's UTF-8 bytes. */
export function uriEncode(value: string, keepSlash = false): string {
  return uriEncodeBytes(new TextEncoder().encode(value), keepSlash);
}

/**
 * The canonical URI of an S3 request: the path as received, percent-decoded once and encoded
 * once with `UriEncode` (slashes kept). S3 neither double-encodes nor normalises `.`, `..` or `//`,
 * so `/b/a//c` and `/b/./x` sign as they are. Clients that send `!` or `(` unescaped still verify.
 */
export function canonicalPath(rawPath: string): string {
  if (rawPath === '') return '/';
  return uriEncodeBytes(percentDecode(rawPath, false), true);
}

/** One decoded query parameter; `value` is '' for a bare key such as `?uploads`. */
export interface QueryParam {
  readonly key: string;
  readonly value: string;
  /** The key and value as canonical `UriEncode` strings. */
  readonly encodedKey: string;
  readonly encodedValue: string;
}

/**
 * Splits a raw query string (without `?`) into decoded parameters, in order. `+` decodes to a
 * space; the router must decode the same way, or a signature could cover a different request
 * than the one executed.
 */
export function parseQuery(rawQuery: string): QueryParam[] {
  const params: QueryParam[] = [];
  if (rawQuery === '') return params;
  const decoder = new TextDecoder();
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const keyBytes = percentDecode(eq < 0 ? part : part.slice(0, eq), true);
    const valueBytes = percentDecode(eq < 0 ? '' : part.slice(eq + 1), true);
    params.push({
      key: decoder.decode(keyBytes),
      value: decoder.decode(valueBytes),
      encodedKey: uriEncodeBytes(keyBytes, false),
      encodedValue: uriEncodeBytes(valueBytes, false),
    });
  }
  return params;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The canonical query string: encoded `key=value` pairs sorted by key, then value; `exclude` drops a key (X-Amz-Signature). */
export function canonicalQuery(params: readonly QueryParam[], exclude?: string): string {
  return params
    .filter((p) => p.key !== exclude)
    .map((p) => [p.encodedKey, p.encodedValue] as const)
    .sort((a, b) => compareCodeUnits(a[0], b[0]) || compareCodeUnits(a[1], b[1]))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** A header value as SigV4 signs it: trimmed, inner runs of spaces and tabs collapsed to one space. */
export function canonicalHeaderValue(value: string): string {
  return value.replace(/[ \t]+/g, ' ').trim();
}
