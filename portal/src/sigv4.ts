// AWS Signature Version 4 in the browser (WebCrypto): signs admin API and S3 requests and pre-signs S3 URLs.
// Pure apart from WebCrypto, so the unit tests run it under Node against the gateway's own verifier.

export const REGION = 'us-east-1';
export const SERVICE = 's3';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** SHA-256 of the empty string, hex. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const encoder = new TextEncoder();
const HEX = '0123456789ABCDEF';

function isUnreserved(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e;
}

function encodeBytes(bytes: Uint8Array, keepSlash: boolean): string {
  let out = '';
  for (const b of bytes) {
    if (isUnreserved(b) || (keepSlash && b === 0x2f)) out += String.fromCharCode(b);
    else out += '%' + (HEX[b >> 4] ?? '') + (HEX[b & 15] ?? '');
  }
  return out;
}

/** AWS `UriEncode` of a string's UTF-8 bytes: A–Z a–z 0–9 - . _ ~ as they are, `/` too when `keepSlash`, the rest `%XY`. */
export function uriEncode(value: string, keepSlash = false): string {
  return encodeBytes(encoder.encode(value), keepSlash);
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Percent-decodes to bytes as the server does (`+` is a space only in queries). */
function percentDecode(raw: string, plusIsSpace: boolean): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 && i + 2 < raw.length && isHex(raw.charCodeAt(i + 1)) && isHex(raw.charCodeAt(i + 2))) {
      out.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (plusIsSpace && c === 0x2b) {
      out.push(0x20);
    } else {
      // One UTF-16 unit or a surrogate pair, as UTF-8.
      const cp = raw.codePointAt(i) ?? c;
      for (const b of encoder.encode(String.fromCodePoint(cp))) out.push(b);
      if (cp > 0xffff) i++;
    }
  }
  return Uint8Array.from(out);
}

/** The canonical URI: the path as sent, decoded once and `UriEncode`d once (S3 neither double-encodes nor normalises). */
export function canonicalPath(rawPath: string): string {
  return rawPath === '' ? '/' : encodeBytes(percentDecode(rawPath, false), true);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The canonical query of a raw query string (without `?`): pairs re-encoded, sorted by key then value. */
export function canonicalQuery(rawQuery: string, exclude?: string): string {
  const pairs: (readonly [string, string])[] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = percentDecode(eq < 0 ? part : part.slice(0, eq), true);
    if (exclude !== undefined && new TextDecoder().decode(key) === exclude) continue;
    pairs.push([encodeBytes(key, false), encodeBytes(percentDecode(eq < 0 ? '' : part.slice(eq + 1), true), false)]);
  }
  return pairs
    .sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function toHex(buffer: ArrayBuffer): string {
  let out = '';
  for (const b of new Uint8Array(buffer)) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Bytes WebCrypto accepts. */
export type Bytes = Uint8Array<ArrayBuffer>;

export async function sha256Hex(data: string | Bytes): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? encoder.encode(data) : data));
}

/** SHA-256 of the bytes, base64 (for `x-amz-checksum-sha256`). */
export async function sha256Base64(data: string | Bytes): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? encoder.encode(data) : data));
  let binary = '';
  for (const b of digest) binary += String.fromCharCode(b);
  return btoa(binary);
}

async function hmac(key: Bytes, data: string): Promise<Bytes> {
  const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(data)));
}

/** Derived signing keys by secret and scope; a session signs with one secret, so the map stays tiny. */
const signingKeys = new Map<string, Promise<Bytes>>();

function signingKey(secret: string, date: string, region: string, service: string): Promise<Bytes> {
  const id = `${secret}\n${date}/${region}/${service}`;
  let key = signingKeys.get(id);
  if (key === undefined) {
    key = (async () => {
      const kDate = await hmac(encoder.encode(`AWS4${secret}`), date);
      const kRegion = await hmac(kDate, region);
      const kService = await hmac(kRegion, service);
      return hmac(kService, 'aws4_request');
    })();
    if (signingKeys.size > 16) signingKeys.clear();
    signingKeys.set(id, key);
  }
  return key;
}

/** ISO 8601 basic form, `YYYYMMDDTHHMMSSZ`. */
export function amzDate(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.[0-9]{3}/, '');
}

export interface SignOptions {
  readonly now?: Date;
  readonly region?: string;
  readonly service?: string;
}

export interface RequestToSign {
  readonly method: string;
  /** Absolute URL, the path already encoded as it will be sent. */
  readonly url: string;
  /** Extra headers to send and sign (names any case); `x-amz-*` headers must be here, as the server refuses unsigned ones. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body, or UNSIGNED-PAYLOAD. */
  readonly payloadHash: string;
}

/**
 * The headers to send with a request: the given ones plus `x-amz-date`, `x-amz-content-sha256` and `authorization`.
 * `host` is signed but not returned: the browser sets it from the URL.
 */
export async function signRequest(request: RequestToSign, credentials: Credentials, options: SignOptions = {}): Promise<Record<string, string>> {
  const region = options.region ?? REGION;
  const service = options.service ?? SERVICE;
  const timestamp = amzDate(options.now ?? new Date());
  const date = timestamp.slice(0, 8);
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  headers['x-amz-date'] = timestamp;
  headers['x-amz-content-sha256'] = request.payloadHash;
  const toSign: Record<string, string> = { ...headers, host: url.host };
  const names = Object.keys(toSign).sort();
  const canonicalHeaders = names.map((name) => `${name}:${(toSign[name] ?? '').replace(/[ \t]+/g, ' ').trim()}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [request.method, canonicalPath(url.pathname), canonicalQuery(url.search.slice(1)), canonicalHeaders, signedHeaders, request.payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${timestamp}\n${scope}\n${await sha256Hex(canonicalRequest)}`;
  const signature = toHex((await hmac(await signingKey(credentials.secretAccessKey, date, region, service), stringToSign)).buffer);
  headers.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

export interface UrlToPresign {
  readonly method: string;
  /** Absolute URL, the path already encoded; may carry its own query (e.g. response-content-disposition). */
  readonly url: string;
  /** 1 .. 604800 (seven days, the most S3 accepts). */
  readonly expiresSeconds: number;
}

/** A pre-signed URL (SigV4 query signing, only `host` signed, UNSIGNED-PAYLOAD) anyone can use until it expires. */
export async function presignUrl(request: UrlToPresign, credentials: Credentials, options: SignOptions = {}): Promise<string> {
  if (!Number.isInteger(request.expiresSeconds) || request.expiresSeconds < 1 || request.expiresSeconds > 604800) {
    throw new RangeError(`expiry must be a whole number of seconds in [1, 604800], got ${request.expiresSeconds}`);
  }
  const region = options.region ?? REGION;
  const service = options.service ?? SERVICE;
  const timestamp = amzDate(options.now ?? new Date());
  const date = timestamp.slice(0, 8);
  const scope = `${date}/${region}/${service}/aws4_request`;
  const url = new URL(request.url);
  const added = [
    ['X-Amz-Algorithm', ALGORITHM],
    ['X-Amz-Credential', `${credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', timestamp],
    ['X-Amz-Expires', String(request.expiresSeconds)],
    ['X-Amz-SignedHeaders', 'host'],
  ]
    .map(([k, v]) => `${uriEncode(k ?? '')}=${uriEncode(v ?? '')}`)
    .join('&');
  const query = url.search.length > 1 ? `${url.search.slice(1)}&${added}` : added;
  const canonicalRequest = [request.method, canonicalPath(url.pathname), canonicalQuery(query), `host:${url.host}\n`, 'host', UNSIGNED_PAYLOAD].join('\n');
  const stringToSign = `${ALGORITHM}\n${timestamp}\n${scope}\n${await sha256Hex(canonicalRequest)}`;
  const signature = toHex((await hmac(await signingKey(credentials.secretAccessKey, date, region, service), stringToSign)).buffer);
  return `${url.origin}${url.pathname}?${query}&X-Amz-Signature=${signature}`;
}
