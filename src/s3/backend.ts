// What the S3 front door needs from whatever stores objects: the gateway (coded, dispersed) or an edge node (plain files).

/** Standard headers stored with an object and returned on GET/HEAD. */
export interface ObjectHeaders {
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly contentDisposition?: string;
  readonly contentLanguage?: string;
  readonly cacheControl?: string;
  readonly expires?: string;
}

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** Quoted, as sent in the ETag header. */
  readonly etag: string;
  readonly lastModified: Date;
  readonly headers: ObjectHeaders;
  /** x-amz-meta-* without the prefix, names lower-cased. */
  readonly userMetadata: Readonly<Record<string, string>>;
  /** Checksums stored with the object, by algorithm (crc32, crc32c, crc64nvme, sha1, sha256): base64. */
  readonly checksums: Readonly<Record<string, string>>;
}

export interface BucketInfo {
  readonly name: string;
  readonly created: Date;
  readonly region: string;
}

export interface PutObjectInput {
  readonly bucket: string;
  readonly key: string;
  /** The object's bytes, already decoded (aws-chunked) and length-checked. */
  readonly body: AsyncIterable<Uint8Array>;
  readonly headers: ObjectHeaders;
  readonly userMetadata: Readonly<Record<string, string>>;
  /**
   * Called once the whole body was read and stored but before it becomes visible: returns the ETag and the
   * checksums to store, or throws (BadDigest, a bad signature, a short body) — then the backend discards
   * everything it wrote and the previous object, if any, stays.
   */
  readonly finish: () => { readonly etag: string; readonly checksums: Readonly<Record<string, string>> };
}

export interface ListPage {
  /** Objects with keys > startAfter, in byte order of their keys. */
  readonly objects: readonly ObjectInfo[];
  readonly truncated: boolean;
}

export interface GetResult {
  readonly info: ObjectInfo;
  /** The bytes of [start, end) of the object. */
  readonly body: AsyncIterable<Uint8Array>;
}

/**
 * Storage behind the front door. Methods throw S3Error for S3-visible failures (NoSuchBucket, NoSuchKey,
 * BucketNotEmpty, BucketAlreadyOwnedByYou, ...); `P` is the authenticated principal.
 */
export interface S3Backend<P> {
  listBuckets(principal: P): Promise<readonly BucketInfo[]>;
  /** `locationConstraint` is the CreateBucketConfiguration's LocationConstraint, if any. */
  createBucket(principal: P, bucket: string, locationConstraint: string | undefined): Promise<void>;
  headBucket(principal: P, bucket: string): Promise<BucketInfo>;
  deleteBucket(principal: P, bucket: string): Promise<void>;
  listObjects(principal: P, bucket: string, options: { readonly prefix: string; readonly startAfter: string; readonly limit: number }): Promise<ListPage>;
  putObject(principal: P, input: PutObjectInput): Promise<ObjectInfo>;
  headObject(principal: P, bucket: string, key: string): Promise<ObjectInfo>;
  getObject(principal: P, bucket: string, key: string, range: { readonly start: number; readonly end: number } | undefined): Promise<GetResult>;
  deleteObject(principal: P, bucket: string, key: string): Promise<void>;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** S3's bucket naming rules: 3–63 of [a-z0-9.-], starting and ending alphanumeric, no '..', not an IP address. */
export function isValidBucketName(name: string): boolean {
  return BUCKET_NAME.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name) && !name.startsWith('xn--') && !name.endsWith('-s3alias');
}
