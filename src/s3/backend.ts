// What the S3 front door needs from whatever stores objects: the gateway (coded, dispersed) or an edge node (plain files).

import type { ChecksumAlgorithm } from './checksums.ts';

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

/** A multipart upload in progress, with what CreateMultipartUpload said the finished object carries. */
export interface UploadInfo {
  readonly uploadId: string;
  readonly key: string;
  readonly initiated: Date;
  readonly headers: ObjectHeaders;
  readonly userMetadata: Readonly<Record<string, string>>;
  /** The checksum algorithm declared at creation (x-amz-checksum-algorithm), if any. */
  readonly checksumAlgorithm: ChecksumAlgorithm | undefined;
}

export interface CreateUploadInput {
  readonly bucket: string;
  readonly key: string;
  readonly headers: ObjectHeaders;
  readonly userMetadata: Readonly<Record<string, string>>;
  readonly checksumAlgorithm: ChecksumAlgorithm | undefined;
}

export interface PartInfo {
  readonly partNumber: number;
  readonly size: number;
  /** Quoted MD5 of the part. */
  readonly etag: string;
  readonly lastModified: Date;
  readonly checksums: Readonly<Record<string, string>>;
}

export interface UploadPartInput {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  /** 1..10,000; a part stored again under the same number replaces the earlier one. */
  readonly partNumber: number;
  readonly body: AsyncIterable<Uint8Array>;
  /** As for PutObject: checks the body once read, before the part is recorded; a throw discards it. */
  readonly finish: () => { readonly etag: string; readonly checksums: Readonly<Record<string, string>> };
}

export interface PartsPage {
  readonly parts: readonly PartInfo[];
  readonly truncated: boolean;
}

export interface UploadsPage {
  readonly uploads: readonly UploadInfo[];
  readonly truncated: boolean;
}

export interface CompleteUploadInput {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  /** The parts the client chose, ascending by part number, with the ETags it was given. */
  readonly parts: readonly { readonly partNumber: number; readonly etag: string }[];
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

  /** Multipart uploads. An upload that does not exist, or belongs to another bucket or key, is NoSuchUpload. */
  createMultipartUpload(principal: P, input: CreateUploadInput): Promise<UploadInfo>;
  getUpload(principal: P, bucket: string, key: string, uploadId: string): Promise<UploadInfo>;
  uploadPart(principal: P, input: UploadPartInput): Promise<PartInfo>;
  /** Parts with numbers > `after`, ascending. */
  listParts(principal: P, bucket: string, key: string, uploadId: string, options: { readonly after: number; readonly limit: number }): Promise<PartsPage>;
  /**
   * Uploads by key (byte order), then initiation. `keyMarker` alone: keys after it; with `uploadIdMarker`: also
   * the uploads of that key initiated after that upload.
   */
  listUploads(
    principal: P,
    bucket: string,
    options: { readonly prefix: string; readonly keyMarker: string | undefined; readonly uploadIdMarker: string | undefined; readonly limit: number },
  ): Promise<UploadsPage>;
  /** Checks the chosen parts (see planCompletion) and makes the object visible in one step; unchosen parts are dropped. */
  completeMultipartUpload(principal: P, input: CompleteUploadInput): Promise<ObjectInfo>;
  abortMultipartUpload(principal: P, bucket: string, key: string, uploadId: string): Promise<void>;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** S3's bucket naming rules: 3–63 of [a-z0-9.-], starting and ending alphanumeric, no '..', not an IP address. */
export function isValidBucketName(name: string): boolean {
  return BUCKET_NAME.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name) && !name.startsWith('xn--') && !name.endsWith('-s3alias');
}
