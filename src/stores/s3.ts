// A fragment store on any S3-compatible endpoint (a public-cloud bucket or an edge node), through the AWS SDK v3.

import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { throwIfAborted, StoreError, assertValidKey, assertValidPrefix, type FragmentStore, type GetOptions, type StoredFragmentInfo } from './types.ts';

export interface S3StoreOptions {
  /** e.g. `https://s3.eu-central-1.amazonaws.com` or `http://10.0.0.7:9000`. */
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  /** Prepended verbatim to every fragment key (end it with '/' to get a folder); lets several stores share a bucket. */
  readonly prefix?: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most self-hosted endpoints need. Default false. */
  readonly forcePathStyle?: boolean;
  /** Deadline of one store operation (one page of a listing), retries included. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Attempts per request, the first one included (the SDK retries throttling, 5xx and network errors). Default 3. */
  readonly maxAttempts?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_ATTEMPTS = 3;

interface Deadline {
  readonly signal: AbortSignal;
  readonly timeout: AbortSignal;
}

function httpStatus(error: unknown): number | undefined {
  if (error instanceof S3ServiceException) return error.$metadata.httpStatusCode;
  return undefined;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : String(error);
}

/** The SDK's error name, plus the system error code of network failures (ECONNREFUSED says more than "Error"). */
function describeError(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  const status = httpStatus(error);
  return [errorName(error), code, status === undefined ? undefined : `HTTP ${status}`].filter((part) => part !== undefined).join(', ');
}

/** Resolves with the promise, or rejects as soon as the signal fires (the promise is left to settle unobserved). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, onAbort: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      onAbort();
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal.aborted) {
      abort();
      return;
    }
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Parses `bytes a-b/size`, the first byte the server actually sent. */
function firstByteSent(contentRange: string | undefined): number {
  const match = contentRange === undefined ? null : /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(contentRange.trim());
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

export class S3Store implements FragmentStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(options: S3StoreOptions) {
    this.#bucket = options.bucket;
    this.#prefix = options.prefix ?? '';
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(this.#timeoutMs > 0)) throw new RangeError('requestTimeoutMs must be positive');
    // Constructing the client does no I/O: credentials are given, so no provider chain is consulted.
    this.#client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      forcePathStyle: options.forcePathStyle ?? false,
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    });
  }

  #deadline(signal: AbortSignal | undefined): Deadline {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    return { timeout, signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]) };
  }

  /** Translates an SDK failure: the caller's abort wins over our deadline, which wins over whatever the SDK saw. */
  #failure(operation: string, key: string, error: unknown, signal: AbortSignal | undefined, deadline: Deadline): StoreError {
    if (error instanceof StoreError) return error;
    if (signal?.aborted === true) return new StoreError('aborted', 'the operation was aborted', { cause: signal.reason });
    if (deadline.timeout.aborted) {
      return new StoreError('timeout', `s3 store: ${operation} ${JSON.stringify(key)} got no answer within ${this.#timeoutMs} ms`, { cause: error });
    }
    return new StoreError('unavailable', `s3 store: ${operation} ${JSON.stringify(key)} failed (${describeError(error)})`, { cause: error });
  }

  async put(key: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    assertValidKey(key);
    throwIfAborted(signal);
    const deadline = this.#deadline(signal);
    try {
      await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key, Body: bytes, ContentLength: bytes.length }), {
        abortSignal: deadline.signal,
      });
    } catch (error) {
      throw this.#failure('put', key, error, signal, deadline);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array | null> {
    assertValidKey(key);
    const { range, signal } = options;
    if (range !== undefined && (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.end < range.start)) {
      throw new RangeError(`invalid byte range [${range.start}, ${range.end})`);
    }
    throwIfAborted(signal);
    // `bytes=a-(a-1)` is not a valid header; an empty range only needs to know whether the key exists.
    if (range !== undefined && range.start === range.end) {
      return (await this.head(key, signal)) === null ? null : new Uint8Array(0);
    }
    const deadline = this.#deadline(signal);
    try {
      const response = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key, ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end - 1}` }) }),
        { abortSignal: deadline.signal },
      );
      const body = response.Body;
      if (body === undefined) return new Uint8Array(0);
      // The body streams after the headers; a server that stalls mid-body must not outlive the deadline.
      const bytes = await untilAborted(body.transformToByteArray(), deadline.signal, () => {
        if ('destroy' in body && typeof body.destroy === 'function') (body.destroy as () => void).call(body);
      });
      if (range === undefined) return bytes;
      // A server may ignore Range and send everything (plain HTTP allows it), or send more than asked: take ours.
      const offset = firstByteSent(response.ContentRange);
      const from = Math.max(0, range.start - offset);
      return bytes.subarray(from, Math.min(bytes.length, range.end - offset)).slice();
    } catch (error) {
      const status = httpStatus(error);
      const name = errorName(error);
      if (name === 'NoSuchKey' || (status === 404 && name !== 'NoSuchBucket')) return null;
      // 416: the object exists but the range starts at or past its end, which the contract clips to nothing.
      if (status === 416 || name === 'InvalidRange') return new Uint8Array(0);
      throw this.#failure('get', key, error, signal, deadline);
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<{ readonly size: number } | null> {
    assertValidKey(key);
    throwIfAborted(signal);
    const deadline = this.#deadline(signal);
    try {
      const response = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }), { abortSignal: deadline.signal });
      return { size: response.ContentLength ?? 0 };
    } catch (error) {
      // HEAD answers carry no body, so a missing key and a missing bucket look alike: both read as "no fragment".
      if (httpStatus(error) === 404) return null;
      throw this.#failure('head', key, error, signal, deadline);
    }
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    assertValidKey(key);
    throwIfAborted(signal);
    const deadline = this.#deadline(signal);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }), { abortSignal: deadline.signal });
    } catch (error) {
      if (errorName(error) === 'NoSuchKey') return;
      throw this.#failure('delete', key, error, signal, deadline);
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<StoredFragmentInfo> {
    assertValidPrefix(prefix);
    throwIfAborted(signal);
    let continuationToken: string | undefined;
    do {
      // One deadline per page: a long listing is many requests, each of which must answer in time.
      const deadline = this.#deadline(signal);
      let page;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix + prefix, ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken }) }),
          { abortSignal: deadline.signal },
        );
      } catch (error) {
        throw this.#failure('list', prefix, error, signal, deadline);
      }
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.#prefix.length);
        // Objects someone else put under our prefix are not fragments; listing them would only make callers fail later.
        if (key === undefined || !isValidKey(key)) continue;
        throwIfAborted(signal);
        yield { key, size: object.Size ?? 0 };
      }
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  close(): Promise<void> {
    this.#client.destroy();
    return Promise.resolve();
  }
}

function isValidKey(key: string): boolean {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}
