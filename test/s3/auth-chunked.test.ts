// aws-chunked decoding: frozen vectors, a reference encoder in many chunk and input splittings, real SDK bodies, corruption and truncation.

import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { HttpRequest as SmithyRequest } from '@smithy/types';
import { openRequestBody, type BodyAuth } from '../../src/s3/auth/body.ts';
import { decodeAwsChunked, type AwsChunkedOptions, type ChunkSigningContext } from '../../src/s3/auth/chunked.ts';
import { S3AuthError, type S3AuthErrorCode } from '../../src/s3/auth/errors.ts';
import { createSigV4Verifier, type SigV4Request } from '../../src/s3/auth/sigv4.ts';
import { BodyIntegrity, digestOf, parseIntegrityHeaders, toBase64 } from '../../src/s3/checksums.ts';
import { must } from '../support/must.ts';

// ---------------------------------------------------------------------------------------------
// Reference encoder, written from the AWS description independently of the decoder.

const EMPTY_SHA = createHash('sha256').digest('hex');
const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');
const hmacHex = (key: Uint8Array, text: string): string => createHmac('sha256', key).update(text).digest('hex');

function signingKey(secret: string, date: string, region: string): Uint8Array {
  let key: Uint8Array = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  for (const part of [region, 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return key;
}

const CONTEXT: ChunkSigningContext = {
  signingKey: signingKey('chunk-secret', '20250314', 'us-east-1'),
  timestamp: '20250314T150926Z',
  scope: '20250314/us-east-1/s3/aws4_request',
  seedSignature: sha256('pretend this is the request signature'),
};

interface EncodeOptions {
  readonly signing?: ChunkSigningContext;
  readonly trailers?: readonly (readonly [string, string])[];
  readonly signTrailers?: boolean;
  /** Omit the CRLF that closes the body (some clients do, when nothing trails). */
  readonly omitFinalCrlf?: boolean;
}

/** Encodes `data` in chunks of `chunkSize` bytes (the last shorter), then the empty chunk and trailers. */
function encode(data: Uint8Array, chunkSize: number, options: EncodeOptions = {}): Buffer {
  const out: Buffer[] = [];
  const { signing } = options;
  let previous = signing?.seedSignature ?? '';
  const header = (size: number, chunk: Uint8Array): string => {
    if (signing === undefined) return `${size.toString(16)}\r\n`;
    const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', signing.timestamp, signing.scope, previous, EMPTY_SHA, sha256(chunk)].join('\n');
    previous = hmacHex(signing.signingKey, stringToSign);
    return `${size.toString(16)};chunk-signature=${previous}\r\n`;
  };
  for (let offset = 0; offset < data.length; offset += chunkSize) {
    const chunk = data.subarray(offset, offset + chunkSize);
    out.push(Buffer.from(header(chunk.length, chunk)), Buffer.from(chunk), Buffer.from('\r\n'));
  }
  out.push(Buffer.from(header(0, new Uint8Array(0))));
  for (const [name, value] of options.trailers ?? []) out.push(Buffer.from(`${name}:${value}\r\n`));
  if (options.signTrailers === true && signing !== undefined) {
    const canonical = [...(options.trailers ?? [])].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([n, v]) => `${n}:${v}\n`).join('');
    const stringToSign = ['AWS4-HMAC-SHA256-TRAILER', signing.timestamp, signing.scope, previous, sha256(canonical)].join('\n');
    out.push(Buffer.from(`x-amz-trailer-signature:${hmacHex(signing.signingKey, stringToSign)}\r\n`));
  }
  if (options.omitFinalCrlf !== true) out.push(Buffer.from('\r\n'));
  return Buffer.concat(out);
}

function* slices(bytes: Uint8Array, sizes: readonly number[]): Generator<Uint8Array, undefined> {
  let i = 0;
  for (let offset = 0; offset < bytes.length; ) {
    const n = sizes[i++ % sizes.length] ?? 1;
    yield bytes.subarray(offset, offset + n);
    offset += n;
  }
  return undefined;
}

/** Feeds `bytes` as an async source in pieces whose sizes cycle through `sizes` (1 = byte by byte). */
function pieces(bytes: Uint8Array, sizes: readonly number[]): AsyncIterable<Uint8Array> {
  const iterator = slices(bytes, sizes);
  return { [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve(iterator.next()) }) };
}

/** Deterministic pseudo-random piece sizes in [1, max]. */
function randomSizes(seed: number, count: number, max: number): number[] {
  let x = seed;
  return Array.from({ length: count }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return 1 + (x % max);
  });
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

async function rejectsWith(promise: Promise<unknown>, code: S3AuthErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof S3AuthError, `expected S3AuthError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

const CRC_TRAILER = 'x-amz-checksum-crc32';
const signedOptions: AwsChunkedOptions = { signing: CONTEXT, trailers: 'none' };
const unsignedTrailerOptions = (expected: readonly string[] = [CRC_TRAILER]): AwsChunkedOptions => ({ trailers: 'unsigned', expectedTrailers: expected });

// ---------------------------------------------------------------------------------------------

describe('frozen vectors', () => {
  it('decodes the AWS documentation chunked example (66560 bytes, 64 KiB chunks)', async () => {
    const doc = JSON.parse(readFileSync(new URL('./vectors/aws-doc-examples.json', import.meta.url), 'utf8')) as {
      credentials: { secretKey: string };
      now: string;
      chunked: SigV4Request & { chunks: { size: number; byte: string; signature: string }[] };
    };
    const at = new Date(doc.now);
    const v = createSigV4Verifier({ lookup: () => Promise.resolve({ secretKey: doc.credentials.secretKey }), now: () => at });
    const auth = await v.verify(doc.chunked);
    assert.equal(auth.kind, 'verified');
    const wire = Buffer.concat(
      doc.chunked.chunks.flatMap((c) => [Buffer.from(`${c.size.toString(16)};chunk-signature=${c.signature}\r\n`), Buffer.alloc(c.size, c.byte), Buffer.from('\r\n')]),
    );
    assert.equal(wire.length, Number(doc.chunked.headers['content-length']));
    for (const split of [[wire.length], [1000], [1], randomSizes(7, 64, 9000)]) {
      const body = openRequestBody(auth, doc.chunked.headers, pieces(wire, split));
      const decoded = await collect(body);
      assert.equal(decoded.length, 66560);
      assert.ok(decoded.every((b) => b === 0x61));
    }
  });

  it('decodes the frozen Dispersa vector chained from its seed request', async () => {
    const sig = JSON.parse(readFileSync(new URL('./vectors/sigv4-vectors.json', import.meta.url), 'utf8')) as {
      credentials: { accessKeyId: string; secretKey: string };
      now: string;
      vectors: { name: string; request: SigV4Request }[];
    };
    const chunked = JSON.parse(readFileSync(new URL('./vectors/aws-chunked-vectors.json', import.meta.url), 'utf8')) as {
      seedVector: string;
      data: string;
      wire: string;
      chunks: { stringToSign: string; signature: string }[];
    };
    const seed = must(sig.vectors.find((x) => x.name === chunked.seedVector), 'seed vector');
    const at = new Date(sig.now);
    const auth = await createSigV4Verifier({ lookup: () => Promise.resolve({ secretKey: sig.credentials.secretKey }), now: () => at }).verify(seed.request);
    assert.equal(auth.kind, 'verified');
    for (const c of chunked.chunks) assert.equal(hmacHex(auth.signingKey, c.stringToSign), c.signature);
    const decoded = await collect(openRequestBody(auth, seed.request.headers, pieces(Buffer.from(chunked.wire, 'latin1'), [1])));
    assert.equal(decoded.toString(), chunked.data);
  });
});

describe('round trips through the reference encoder', () => {
  const data = randomBytes(70_000);
  const lengths = [0, 1, 2, 255, 8192, 70_000];
  const chunkSizes = [1, 3, 64, 8192, 65_536, 100_000];
  for (const mode of ['signed', 'unsigned-trailer', 'signed-trailer'] as const) {
    it(`${mode}: every length × chunk size, fed whole, in random pieces, and byte by byte`, async () => {
      let cases = 0;
      for (const length of lengths) {
        const body = data.subarray(0, length);
        const crc = toBase64(digestOf('CRC32', body));
        for (const chunkSize of chunkSizes) {
          if (chunkSize === 1 && length > 255) continue; // byte-sized chunks of long bodies add time, not coverage
          const trailers: [string, string][] = mode === 'signed' ? [] : [[CRC_TRAILER, crc]];
          const wire = encode(body, chunkSize, { ...(mode === 'unsigned-trailer' ? {} : { signing: CONTEXT }), trailers, signTrailers: mode === 'signed-trailer' });
          const options: AwsChunkedOptions =
            mode === 'signed'
              ? signedOptions
              : mode === 'unsigned-trailer'
                ? unsignedTrailerOptions()
                : { signing: CONTEXT, trailers: 'signed', expectedTrailers: [CRC_TRAILER], decodedLength: length };
          const splits = [[wire.length], randomSizes(length + chunkSize, 97, 777), ...(wire.length <= 20_000 ? [[1]] : [])];
          for (const split of splits) {
            const decoder = decodeAwsChunked(pieces(wire, split), options);
            const decoded = await collect(decoder);
            assert.ok(decoded.equals(body), `${mode} length=${length} chunk=${chunkSize}`);
            assert.equal(decoder.decodedBytes, length);
            assert.deepEqual([...decoder.trailers()], trailers);
            cases++;
          }
        }
      }
      assert.ok(cases > 70, `${cases} cases`);
    });
  }

  it('accepts a body ending right after the final chunk when nothing trails', async () => {
    const body = Buffer.from('no closing line');
    assert.equal((await collect(decodeAwsChunked(pieces(encode(body, 4, { omitFinalCrlf: true }), [5]), { trailers: 'none' }))).toString(), 'no closing line');
    assert.equal((await collect(decodeAwsChunked(pieces(encode(body, 4, { signing: CONTEXT, omitFinalCrlf: true }), [5]), signedOptions))).toString(), 'no closing line');
  });

  it('unsigned chunks stream through without copies; memory stays bounded for a 64 MiB body', async () => {
    const block = randomBytes(1 << 20);
    const blockHeader = Buffer.from(`${block.length.toString(16)}\r\n`);
    const crlf = Buffer.from('\r\n');
    function* parts(): Generator<Uint8Array> {
      for (let i = 0; i < 64; i++) {
        yield blockHeader;
        for (let o = 0; o < block.length; o += 65_536) yield block.subarray(o, o + 65_536);
        yield crlf;
      }
      yield Buffer.from('0\r\n\r\n');
    }
    const iterator = parts();
    const source = (): AsyncIterable<Uint8Array> => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve(iterator.next()) }) });
    const before = process.memoryUsage().arrayBuffers;
    let total = 0;
    let peak = 0;
    for await (const part of decodeAwsChunked(source(), { trailers: 'none', decodedLength: 64 << 20 })) {
      assert.equal(part.buffer, block.buffer, 'decoded bytes are views of the input');
      total += part.length;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    assert.equal(total, 64 << 20);
    assert.ok(peak < 16 << 20, `array buffers grew by ${peak} bytes`);
  });
});

describe('bodies from a real S3Client', () => {
  it('PutObject with a stream body: STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer decodes and checks out', async () => {
    const payload = randomBytes(120_000);
    let captured: { request: SigV4Request; wire: Buffer } | undefined;
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDSDK', secretAccessKey: 'sdk-secret' },
      requestHandler: {
        async handle(request: SmithyRequest) {
          const parts: Buffer[] = [];
          for await (const part of request.body as AsyncIterable<Uint8Array>) parts.push(Buffer.from(part));
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(request.headers) as [string, string | undefined][]) if (value !== undefined) headers[name] = value;
          captured = { request: { method: request.method, path: request.path, query: 'x-id=PutObject', headers }, wire: Buffer.concat(parts) };
          return { response: { statusCode: 200, headers: {}, body: Readable.from([]) } };
        },
      },
    });
    try {
      const chunks = [payload.subarray(0, 1), payload.subarray(1, 40_001), payload.subarray(40_001)];
      await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'streamed', Body: Readable.from(chunks) })).catch(() => undefined);
    } finally {
      client.destroy();
    }
    const { request, wire } = must(captured, 'captured request');
    assert.equal(request.headers['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    const auth = await createSigV4Verifier({ lookup: () => Promise.resolve({ secretKey: 'sdk-secret' }), now: () => new Date() }).verify(request);
    assert.equal(auth.kind, 'verified', auth.kind === 'rejected' ? auth.error.message : '');
    for (const split of [[wire.length], [1], randomSizes(3, 50, 4000)]) {
      const claims = parseIntegrityHeaders(request.headers);
      assert.deepEqual(claims.checksum, { location: 'trailer', algorithm: 'CRC32' });
      const integrity = new BodyIntegrity(claims);
      const body = openRequestBody(auth, request.headers, pieces(wire, split));
      const decoded: Buffer[] = [];
      for await (const part of body) {
        integrity.update(part);
        decoded.push(Buffer.from(part));
      }
      assert.ok(Buffer.concat(decoded).equals(payload));
      const digests = integrity.finish(body.trailers());
      assert.deepEqual(digests.checksum?.value, digestOf('CRC32', payload));
      assert.deepEqual(digests.md5, digestOf('MD5', payload));
    }
    // The same body with one flipped data byte still decodes (nothing signs it) but fails its trailing checksum.
    const corrupt = Buffer.from(wire);
    corrupt[wire.length >> 1] = (corrupt[wire.length >> 1] ?? 0) ^ 0x01; // inside the largest chunk's data
    const integrity = new BodyIntegrity(parseIntegrityHeaders(request.headers));
    const body = openRequestBody(auth, request.headers, pieces(corrupt, [4096]));
    for await (const part of body) integrity.update(part);
    assert.throws(() => integrity.finish(body.trailers()), (e: unknown) => e instanceof S3AuthError && e.code === 'BadDigest');
  });
});

describe('rejections', () => {
  const body = Buffer.from('The quick brown fox jumps over the lazy dog');
  const crc = toBase64(digestOf('CRC32', body));
  const decode = (wire: Uint8Array, options: AwsChunkedOptions, split: readonly number[] = [7]) => collect(decodeAwsChunked(pieces(wire, split), options));

  it('any change to a signed body: data, order, sizes, signatures', async () => {
    const wire = encode(body, 10, { signing: CONTEXT });
    for (let i = 0; i < wire.length; i++) {
      const text = wire.toString('latin1');
      // Flip one byte at a time, skipping bytes whose flip only turns the framing invalid (checked elsewhere).
      const flipped = Buffer.from(wire);
      flipped[i] = (flipped[i] ?? 0) ^ 0x01;
      await assert.rejects(decode(flipped, signedOptions), (e: unknown) => e instanceof S3AuthError, `byte ${i} (${JSON.stringify(text[i])}) flipped`);
    }
    const chunks = wire.toString('latin1').split(/(?=[0-9a-f]+;chunk-signature)/);
    const swapped = [chunks[1], chunks[0], ...chunks.slice(2)].join('');
    await rejectsWith(decode(Buffer.from(swapped, 'latin1'), signedOptions), 'SignatureDoesNotMatch');
    const otherSeed = { ...CONTEXT, seedSignature: sha256('another request') };
    await rejectsWith(decode(wire, { signing: otherSeed, trailers: 'none' }), 'SignatureDoesNotMatch');
    const finalOnly = wire.toString('latin1').replace(/0;chunk-signature=[0-9a-f]{64}/, `0;chunk-signature=${'0'.repeat(64)}`);
    await rejectsWith(decode(Buffer.from(finalOnly, 'latin1'), signedOptions), 'SignatureDoesNotMatch', /chunk signature/);
  });

  it('truncation anywhere', async () => {
    const variants: [Buffer, AwsChunkedOptions, number][] = [
      [encode(body, 10, { signing: CONTEXT }), signedOptions, 2],
      [encode(body, 10, { trailers: [[CRC_TRAILER, crc]] }), unsignedTrailerOptions(), 0],
      [encode(body, 10, { signing: CONTEXT, trailers: [[CRC_TRAILER, crc]], signTrailers: true }), { signing: CONTEXT, trailers: 'signed', expectedTrailers: [CRC_TRAILER] }, 0],
    ];
    for (const [wire, options, lenientTail] of variants) {
      for (let cut = 0; cut < wire.length - lenientTail; cut++) {
        await rejectsWith(decode(wire.subarray(0, cut), options), 'IncompleteBody', undefined);
      }
      assert.ok((await decode(wire, options)).equals(body));
    }
  });

  it('malformed framing', async () => {
    const cases: [string, string, AwsChunkedOptions, S3AuthErrorCode][] = [
      ['size not hex', 'zz\r\nabc\r\n0\r\n\r\n', { trailers: 'none' }, 'InvalidRequest'],
      ['negative size', '-3\r\nabc\r\n0\r\n\r\n', { trailers: 'none' }, 'InvalidRequest'],
      ['data longer than its size', '2\r\nabc\r\n0\r\n\r\n', { trailers: 'none' }, 'InvalidRequest'],
      ['no CRLF after data', '3\r\nabcX\n0\r\n\r\n', { trailers: 'none' }, 'InvalidRequest'],
      ['signature in an unsigned body', `3;chunk-signature=${'a'.repeat(64)}\r\nabc\r\n0\r\n\r\n`, { trailers: 'none' }, 'InvalidRequest'],
      ['missing signature in a signed body', '3\r\nabc\r\n0\r\n\r\n', signedOptions, 'InvalidRequest'],
      ['short signature', '3;chunk-signature=abc\r\nabc\r\n0\r\n\r\n', signedOptions, 'SignatureDoesNotMatch'],
      ['data after the end', '3\r\nabc\r\n0\r\n\r\nmore', { trailers: 'none' }, 'InvalidRequest'],
      ['chunk over the size limit', '1000001\r\n', { trailers: 'none' }, 'InvalidRequest'],
      ['header line too long', `3${' '.repeat(5000)}\r\nabc\r\n0\r\n\r\n`, { trailers: 'none' }, 'InvalidRequest'],
      ['longer than x-amz-decoded-content-length', '3\r\nabc\r\n0\r\n\r\n', { trailers: 'none', decodedLength: 2 }, 'InvalidRequest'],
      ['shorter than x-amz-decoded-content-length', '3\r\nabc\r\n0\r\n\r\n', { trailers: 'none', decodedLength: 4 }, 'IncompleteBody'],
      ['trailer when none announced', '3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n', { trailers: 'none' }, 'MalformedTrailerError'],
      ['trailer not in x-amz-trailer', '3\r\nabc\r\n0\r\nx-amz-checksum-sha1:AAAAAA==\r\n\r\n', unsignedTrailerOptions(), 'MalformedTrailerError'],
      ['announced trailer missing', '3\r\nabc\r\n0\r\n\r\n', unsignedTrailerOptions(), 'MalformedTrailerError'],
      ['trailer twice', '3\r\nabc\r\n0\r\nx-amz-checksum-crc32:A\r\nx-amz-checksum-crc32:B\r\n\r\n', unsignedTrailerOptions(), 'MalformedTrailerError'],
      ['trailer without colon', '3\r\nabc\r\n0\r\nx-amz-checksum-crc32\r\n\r\n', unsignedTrailerOptions(), 'MalformedTrailerError'],
      ['trailer signature in unsigned mode', `3\r\nabc\r\n0\r\nx-amz-checksum-crc32:A\r\nx-amz-trailer-signature:${'a'.repeat(64)}\r\n\r\n`, unsignedTrailerOptions(), 'MalformedTrailerError'],
    ];
    for (const [name, wire, options, code] of cases) {
      for (const split of [[wire.length], [1]]) {
        await assert.rejects(decode(Buffer.from(wire, 'latin1'), { maxChunkSize: 1 << 20, ...options }, split), (e: unknown) => {
          assert.ok(e instanceof S3AuthError, `${name}: ${String(e)}`);
          assert.equal(e.code, code, `${name}: ${e.message}`);
          return true;
        });
      }
    }
  });

  it('signed trailers: altered, missing or misplaced signatures', async () => {
    const options: AwsChunkedOptions = { signing: CONTEXT, trailers: 'signed', expectedTrailers: [CRC_TRAILER] };
    const good = encode(body, 16, { signing: CONTEXT, trailers: [[CRC_TRAILER, crc]], signTrailers: true }).toString('latin1');
    assert.ok((await decode(Buffer.from(good, 'latin1'), options)).equals(body));
    const alteredValue = good.replace(`${CRC_TRAILER}:${crc}`, `${CRC_TRAILER}:AAAAAA==`);
    await rejectsWith(decode(Buffer.from(alteredValue, 'latin1'), options), 'SignatureDoesNotMatch', /trailer/);
    const noSignature = good.replace(/x-amz-trailer-signature:[0-9a-f]{64}\r\n/, '');
    await rejectsWith(decode(Buffer.from(noSignature, 'latin1'), options), 'MalformedTrailerError', /x-amz-trailer-signature/);
    const unsignedTrailer = encode(body, 16, { signing: CONTEXT, trailers: [[CRC_TRAILER, crc]] });
    await rejectsWith(decode(unsignedTrailer, options), 'MalformedTrailerError');
    const signatureFirst = good.replace(/(x-amz-checksum-crc32:[^\r]*\r\n)(x-amz-trailer-signature:[0-9a-f]{64}\r\n)/, '$2$1');
    await rejectsWith(decode(Buffer.from(signatureFirst, 'latin1'), options), 'MalformedTrailerError');
  });

  it('the body can be read once, and trailers only after the end', async () => {
    const decoder = decodeAwsChunked(pieces(encode(body, 8, { trailers: [[CRC_TRAILER, crc]] }), [3]), unsignedTrailerOptions());
    assert.throws(() => decoder.trailers(), /after the whole body/);
    await collect(decoder);
    assert.equal(decoder.trailers().get(CRC_TRAILER), crc);
    assert.throws(() => decoder[Symbol.asyncIterator](), /only once/);
  });
});

describe('openRequestBody', () => {
  const text = Buffer.from('signed payload body');
  const sha = sha256(text);
  const verified = (payload: BodyAuth['payload']): BodyAuth => ({
    kind: 'verified',
    payload,
    signingKey: CONTEXT.signingKey,
    timestamp: CONTEXT.timestamp,
    scopeString: CONTEXT.scope,
    seedSignature: CONTEXT.seedSignature,
  });

  it('checks a signed SHA-256 while streaming', async () => {
    assert.ok((await collect(openRequestBody(verified({ kind: 'sha256', sha256: sha }), {}, pieces(text, [4])))).equals(text));
    const altered = Buffer.from(text);
    altered[3] = (altered[3] ?? 0) ^ 0x20;
    await rejectsWith(collect(openRequestBody(verified({ kind: 'sha256', sha256: sha }), {}, pieces(altered, [4]))), 'XAmzContentSHA256Mismatch');
    await rejectsWith(collect(openRequestBody(verified({ kind: 'sha256', sha256: sha }), {}, pieces(text.subarray(1), [4]))), 'XAmzContentSHA256Mismatch');
  });

  it('passes unsigned bodies through and decodes streaming ones, signed or not', async () => {
    assert.ok((await collect(openRequestBody({ kind: 'anonymous', payload: { kind: 'unsigned' } }, {}, pieces(text, [5])))).equals(text));
    const signedWire = encode(text, 5, { signing: CONTEXT });
    const signed = openRequestBody(verified({ kind: 'streaming-signed', trailer: false, decodedLength: text.length }), {}, pieces(signedWire, [9]));
    assert.ok((await collect(signed)).equals(text));
    const crc = toBase64(digestOf('CRC32', text));
    const unsignedWire = encode(text, 5, { trailers: [[CRC_TRAILER, crc]] });
    const headers = { 'x-amz-trailer': 'X-Amz-Checksum-CRC32' };
    const anon = openRequestBody({ kind: 'anonymous', payload: { kind: 'streaming-unsigned-trailer', decodedLength: undefined } }, headers, pieces(unsignedWire, [2]));
    assert.ok((await collect(anon)).equals(text));
    assert.equal(anon.trailers().get(CRC_TRAILER), crc);
  });

  it('refuses x-amz-trailer without a trailer mode, and signed streaming without a signature', () => {
    assert.throws(
      () => openRequestBody(verified({ kind: 'unsigned' }), { 'x-amz-trailer': CRC_TRAILER }, pieces(text, [1])),
      (e: unknown) => e instanceof S3AuthError && e.code === 'InvalidRequest',
    );
    assert.throws(
      () => openRequestBody({ kind: 'anonymous', payload: { kind: 'streaming-signed', trailer: false, decodedLength: undefined } }, {}, pieces(text, [1])),
      (e: unknown) => e instanceof S3AuthError && e.code === 'AccessDenied',
    );
  });
});
