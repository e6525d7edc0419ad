// Checksums: published check values, fast kernels against bit-at-a-time references and the AWS SDK's CRCs, header parsing, body verification.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { Crc32cJs, Crc32Js, Crc64NvmeJs } from '@aws-sdk/checksums/crc';
import { S3AuthError, type S3AuthErrorCode } from '../../src/s3/auth/errors.ts';
import {
  BodyIntegrity,
  CHECKSUM_ALGORITHMS,
  checksumHeaderName,
  CRC32_KERNEL,
  createHasher,
  decodeBase64Digest,
  DIGEST_LENGTH,
  digestOf,
  parseIntegrityHeaders,
  referenceCrc,
  toBase64,
  type DigestAlgorithm,
} from '../../src/s3/checksums.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const CHECK_INPUT = new TextEncoder().encode('123456789');
const ALL: readonly DigestAlgorithm[] = [...CHECKSUM_ALGORITHMS, 'MD5'];

/** Deterministic pseudo-random cut points. */
function splits(seed: number, length: number, count: number): number[] {
  let x = seed >>> 0;
  const cuts = new Set<number>();
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x ^ (x >>> 15), 2246822519) + 3266489917) >>> 0;
    cuts.add(length === 0 ? 0 : x % (length + 1));
  }
  return [...cuts].sort((a, b) => a - b);
}

function incremental(algorithm: DigestAlgorithm, data: Uint8Array, cuts: readonly number[]): Uint8Array {
  const hasher = createHasher(algorithm);
  let from = 0;
  for (const cut of [...cuts, data.length]) {
    hasher.update(data.subarray(from, cut));
    from = cut;
  }
  return hasher.digest();
}

function crcNumber(algorithm: 'CRC32' | 'CRC32C', data: Uint8Array, portable = false): number {
  return new DataView(digestOf(algorithm, data, { portable }).buffer).getUint32(0);
}

function crc64(data: Uint8Array): bigint {
  return new DataView(digestOf('CRC64NVME', data).buffer).getBigUint64(0);
}

describe('check values', () => {
  it('CRC32, CRC32C and CRC64NVME of "123456789"', () => {
    assert.equal(crcNumber('CRC32', CHECK_INPUT), 0xcbf43926);
    assert.equal(crcNumber('CRC32C', CHECK_INPUT), 0xe3069283);
    assert.equal(crc64(CHECK_INPUT), 0xae8b14860a799888n);
    assert.equal(referenceCrc.crc32(CHECK_INPUT), 0xcbf43926);
    assert.equal(referenceCrc.crc32c(CHECK_INPUT), 0xe3069283);
    assert.equal(referenceCrc.crc64nvme(CHECK_INPUT), 0xae8b14860a799888n);
  });

  it('empty input and the base64 forms S3 uses', () => {
    const empty = new Uint8Array(0);
    assert.equal(toBase64(digestOf('CRC32', empty)), 'AAAAAA==');
    assert.equal(toBase64(digestOf('CRC64NVME', empty)), 'AAAAAAAAAAA=');
    assert.equal(toBase64(digestOf('SHA256', empty)), '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
    assert.equal(toBase64(digestOf('MD5', empty)), '1B2M2Y8AsgTpgAmY7PhCfg==');
    // "hello\n" is the example body of S3's own documentation of checksum errors.
    assert.equal(toBase64(digestOf('CRC32', new TextEncoder().encode('hello\n'))), 'NjowIA==');
  });

  it('digest lengths', () => {
    for (const algorithm of ALL) assert.equal(digestOf(algorithm, CHECK_INPUT).length, DIGEST_LENGTH[algorithm], algorithm);
  });
});

describe('fast kernels match the references', () => {
  it('on random inputs of every length up to 300 and at every alignment', () => {
    const data = randomBytes(400);
    for (let offset = 0; offset < 8; offset++) {
      for (let length = 0; length <= 300; length += offset === 0 ? 1 : 7) {
        const slice = data.subarray(offset, offset + length);
        assert.equal(crcNumber('CRC32', slice, true), referenceCrc.crc32(slice), `crc32 js ${offset}+${length}`);
        assert.equal(crcNumber('CRC32', slice), referenceCrc.crc32(slice), `crc32 ${CRC32_KERNEL} ${offset}+${length}`);
        assert.equal(crcNumber('CRC32C', slice), referenceCrc.crc32c(slice), `crc32c ${offset}+${length}`);
        assert.equal(crc64(slice), referenceCrc.crc64nvme(slice), `crc64 ${offset}+${length}`);
      }
    }
  });

  it('on large inputs, against the AWS SDK implementations', async () => {
    for (const length of [1 << 16, (1 << 20) + 13]) {
      const data = randomBytes(length + 3).subarray(3);
      for (const [algorithm, Sdk] of [
        ['CRC32', Crc32Js],
        ['CRC32C', Crc32cJs],
        ['CRC64NVME', Crc64NvmeJs],
      ] as const) {
        const sdk = new Sdk();
        sdk.update(data);
        const expected = hex(await sdk.digest());
        assert.equal(hex(digestOf(algorithm, data)), expected, `${algorithm} ${length}`);
        assert.equal(hex(digestOf(algorithm, data, { portable: true })), expected, `${algorithm} js ${length}`);
      }
    }
  });

  it('CRC32 equals zlib.crc32 where Node has it (22+)', (t) => {
    const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
    if (native === undefined) {
      t.diagnostic(`node ${process.version} has no zlib.crc32`);
      return;
    }
    assert.equal(CRC32_KERNEL, 'zlib');
    for (const length of [0, 1, 7, 8, 9, 63, 64, 65, 1000, 1 << 20]) {
      const data = randomBytes(length + 1).subarray(1);
      assert.equal(crcNumber('CRC32', data, true), native(data), `length ${length}`);
    }
  });

  it('incremental equals one-shot for every algorithm, over random splits', () => {
    const data = randomBytes(200_000);
    for (const algorithm of ALL) {
      const whole = hex(digestOf(algorithm, data));
      if (algorithm === 'CRC32') {
        const portable = createHasher('CRC32', { portable: true });
        for (const [from, to] of [[0, 5], [5, 100_000], [100_000, data.length]] as const) portable.update(data.subarray(from, to));
        assert.equal(hex(portable.digest()), whole, 'CRC32 js incremental');
      }
      for (let seed = 1; seed <= 12; seed++) {
        assert.equal(hex(incremental(algorithm, data, splits(seed, data.length, seed * 7))), whole, `${algorithm} seed ${seed}`);
      }
      const bytewise = createHasher(algorithm);
      for (const byte of data.subarray(0, 3000)) bytewise.update(Uint8Array.of(byte));
      assert.equal(hex(bytewise.digest()), hex(digestOf(algorithm, data.subarray(0, 3000))), `${algorithm} byte by byte`);
    }
  });

  it('SHA1, SHA256 and MD5 are node:crypto', () => {
    const data = randomBytes(5000);
    assert.equal(hex(digestOf('SHA1', data)), createHash('sha1').update(data).digest('hex'));
    assert.equal(hex(digestOf('SHA256', data)), createHash('sha256').update(data).digest('hex'));
    assert.equal(hex(digestOf('MD5', data)), createHash('md5').update(data).digest('hex'));
  });
});

function throwsCode(fn: () => unknown, code: S3AuthErrorCode, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof S3AuthError, String(e));
    assert.equal(e.code, code, e.message);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

describe('integrity headers', () => {
  const body = new TextEncoder().encode('hello\n');
  const b64 = (algorithm: DigestAlgorithm) => toBase64(digestOf(algorithm, body));

  it('parse Content-MD5, one x-amz-checksum-*, the SDK algorithm and x-amz-trailer', () => {
    const claims = parseIntegrityHeaders({ 'content-md5': b64('MD5'), 'x-amz-checksum-crc32c': b64('CRC32C'), 'x-amz-sdk-checksum-algorithm': 'crc32c' });
    assert.deepEqual(claims.contentMd5, digestOf('MD5', body));
    assert.deepEqual(claims.checksum, { location: 'header', algorithm: 'CRC32C', expected: digestOf('CRC32C', body) });
    assert.equal(claims.sdkAlgorithm, 'CRC32C');
    const trailer = parseIntegrityHeaders({ 'x-amz-trailer': 'x-amz-checksum-crc64nvme', 'x-amz-sdk-checksum-algorithm': 'CRC64NVME' });
    assert.deepEqual(trailer.checksum, { location: 'trailer', algorithm: 'CRC64NVME' });
    assert.deepEqual(trailer.trailerNames, ['x-amz-checksum-crc64nvme']);
    assert.deepEqual(parseIntegrityHeaders({ 'x-amz-checksum-mode': 'ENABLED', 'x-amz-checksum-type': 'FULL_OBJECT' }).checksum, undefined);
    for (const algorithm of CHECKSUM_ALGORITHMS) assert.equal(checksumHeaderName(algorithm), `x-amz-checksum-${algorithm.toLowerCase()}`);
  });

  it('reject malformed values with the codes S3 uses', () => {
    throwsCode(() => parseIntegrityHeaders({ 'content-md5': 'not base64!' }), 'InvalidDigest', /Content-MD5/);
    throwsCode(() => parseIntegrityHeaders({ 'content-md5': b64('SHA1') }), 'InvalidDigest');
    throwsCode(() => parseIntegrityHeaders({ 'x-amz-checksum-crc32': 'AAAA' }), 'InvalidRequest', /x-amz-checksum-crc32 header is invalid/);
    throwsCode(() => parseIntegrityHeaders({ 'x-amz-checksum-sha256': b64('SHA1') }), 'InvalidRequest');
    throwsCode(() => parseIntegrityHeaders({ 'x-amz-checksum-crc32': 'NjowIB==' }), 'InvalidRequest'); // non-canonical padding bits
    throwsCode(() => parseIntegrityHeaders({ 'x-amz-checksum-crc32': b64('CRC32'), 'x-amz-checksum-sha1': b64('SHA1') }), 'InvalidRequest', /Multiple checksum/);
    throwsCode(() => parseIntegrityHeaders({ 'x-amz-checksum-crc32': b64('CRC32'), 'x-amz-trailer': 'x-amz-checksum-crc32' }), 'InvalidRequest', /single/);
    throwsCode(() => parseIntegrityHeaders({ 'x-amz-checksum-md4': 'AAAA' }), 'InvalidRequest');
    throwsCode(() => parseIntegrityHeaders({ 'x-amz-sdk-checksum-algorithm': 'ADLER32' }), 'InvalidRequest', /x-amz-sdk-checksum-algorithm/);
    throwsCode(() => parseIntegrityHeaders({ 'x-amz-trailer': 'x-amz-meta-foo' }), 'InvalidRequest');
    throwsCode(() => parseIntegrityHeaders({ 'x-amz-checksum-crc32': b64('CRC32'), 'x-amz-sdk-checksum-algorithm': 'SHA256' }), 'BadDigest');
    assert.equal(decodeBase64Digest(` ${b64('CRC32')} `, 4)?.length, 4);
  });
});

describe('body integrity', () => {
  const body = randomBytes(10_000);
  const feed = (integrity: BodyIntegrity): BodyIntegrity => {
    let from = 0;
    for (const cut of [1, 4096, 9999, body.length]) {
      integrity.update(body.subarray(from, cut));
      from = cut;
    }
    return integrity;
  };

  it('accepts matching digests and returns them for storage', () => {
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const claims = parseIntegrityHeaders({ [checksumHeaderName(algorithm)]: toBase64(digestOf(algorithm, body)), 'content-md5': toBase64(digestOf('MD5', body)) });
      const digests = feed(new BodyIntegrity(claims)).finish();
      assert.deepEqual(digests.checksum, { algorithm, value: digestOf(algorithm, body) });
      assert.deepEqual(digests.md5, digestOf('MD5', body));
    }
    const trailer = parseIntegrityHeaders({ 'x-amz-trailer': 'x-amz-checksum-sha1' });
    const fromTrailer = feed(new BodyIntegrity(trailer)).finish(new Map([['x-amz-checksum-sha1', toBase64(digestOf('SHA1', body))]]));
    assert.deepEqual(fromTrailer.checksum?.value, digestOf('SHA1', body));
    const defaulted = feed(new BodyIntegrity(parseIntegrityHeaders({}), { defaultAlgorithm: 'CRC64NVME', md5: false })).finish();
    assert.deepEqual(defaulted, { md5: undefined, checksum: { algorithm: 'CRC64NVME', value: digestOf('CRC64NVME', body) } });
  });

  it('rejects mismatches with BadDigest and bad trailers with InvalidRequest', () => {
    const other = randomBytes(16);
    throwsCode(() => feed(new BodyIntegrity(parseIntegrityHeaders({ 'content-md5': toBase64(digestOf('MD5', other)) }))).finish(), 'BadDigest', /Content-MD5/);
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const claims = parseIntegrityHeaders({ [checksumHeaderName(algorithm)]: toBase64(digestOf(algorithm, other)) });
      throwsCode(() => feed(new BodyIntegrity(claims)).finish(), 'BadDigest', new RegExp(`The ${algorithm} you specified did not match`));
    }
    const trailer = parseIntegrityHeaders({ 'x-amz-trailer': 'x-amz-checksum-crc32' });
    throwsCode(() => feed(new BodyIntegrity(trailer)).finish(new Map([['x-amz-checksum-crc32', toBase64(digestOf('CRC32', other))]])), 'BadDigest');
    throwsCode(() => feed(new BodyIntegrity(trailer)).finish(new Map([['x-amz-checksum-crc32', 'garbage']])), 'InvalidRequest', /trailing header is invalid/);
    throwsCode(() => feed(new BodyIntegrity(trailer)).finish(new Map()), 'InvalidRequest', /not sent/);
  });
});
