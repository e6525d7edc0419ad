// Uploads of files from the browser: one PUT up to 8 MiB, multipart above (8 MiB parts, each retried up to
// 3 times), and resuming a multipart upload whose part failed from what ListParts says the gateway already has.

import { describeError } from './errors.ts';
import { partSizeFor, PART_RETRIES, planParts, SINGLE_PUT_LIMIT } from './multipart-plan.ts';
import type { PartInfo, S3Client } from './s3.ts';

export type UploadState = 'uploading' | 'done' | 'failed';

export interface UploadStatus {
  readonly name: string;
  readonly key: string;
  readonly size: number;
  readonly sent: number;
  readonly state: UploadState;
  readonly error: string | undefined;
  /** Set for multipart uploads: what a resume needs. */
  readonly multipart: { readonly uploadId: string; readonly partSize: number } | undefined;
  /** True when the upload can be continued (a multipart upload whose part failed). */
  readonly resumable: boolean;
}

export type UploadListener = (status: UploadStatus) => void;

/** One file going up; report() tells the page every change. */
export class Upload {
  private status: UploadStatus;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly file: Blob;
  private readonly listener: UploadListener;
  /** Bytes of finished parts; the part in flight adds its own progress. */
  private partsDone = new Map<number, PartInfo>();

  constructor(client: S3Client, bucket: string, key: string, name: string, file: Blob, listener: UploadListener) {
    this.client = client;
    this.bucket = bucket;
    this.file = file;
    this.listener = listener;
    this.status = { name, key, size: file.size, sent: 0, state: 'uploading', error: undefined, multipart: undefined, resumable: false };
  }

  get current(): UploadStatus {
    return this.status;
  }

  private update(change: Partial<UploadStatus>): void {
    this.status = { ...this.status, ...change };
    this.listener(this.status);
  }

  /** Runs to the end; never throws: a failure becomes state `failed` with its message. */
  async start(): Promise<void> {
    this.update({ state: 'uploading', error: undefined, sent: 0 });
    try {
      if (this.file.size <= SINGLE_PUT_LIMIT) {
        await this.client.putObject(this.bucket, this.status.key, this.file, (sent) => {
          this.update({ sent: Math.min(sent, this.file.size) });
        });
        this.update({ state: 'done', sent: this.file.size });
        return;
      }
      const uploadId = await this.client.createMultipartUpload(this.bucket, this.status.key, this.file.type);
      this.update({ multipart: { uploadId, partSize: partSizeFor(this.file.size) } });
      await this.sendParts();
    } catch (error) {
      this.update({ state: 'failed', error: describeError(error), resumable: this.status.multipart !== undefined });
    }
  }

  /** Continues a failed multipart upload: asks the gateway which parts it has, sends the rest, completes. */
  async resume(): Promise<void> {
    const multipart = this.status.multipart;
    if (multipart === undefined) return this.start();
    this.update({ state: 'uploading', error: undefined, resumable: false });
    try {
      const have = await this.client.listParts(this.bucket, this.status.key, multipart.uploadId);
      const plan = planParts(this.file.size, multipart.partSize);
      this.partsDone = new Map();
      for (const part of have) {
        const planned = plan.find((p) => p.partNumber === part.partNumber);
        if (planned !== undefined && planned.end - planned.start === part.size) this.partsDone.set(part.partNumber, part);
      }
      await this.sendParts();
    } catch (error) {
      this.update({ state: 'failed', error: describeError(error), resumable: true });
    }
  }

  private doneBytes(): number {
    let sum = 0;
    for (const p of this.partsDone.values()) sum += p.size;
    return sum;
  }

  private async sendParts(): Promise<void> {
    const multipart = this.status.multipart;
    if (multipart === undefined) throw new Error('not a multipart upload');
    const plan = planParts(this.file.size, multipart.partSize);
    this.update({ sent: this.doneBytes() });
    for (const part of plan) {
      if (this.partsDone.has(part.partNumber)) continue;
      const body = this.file.slice(part.start, part.end);
      let lastError: unknown;
      let etag: string | null | undefined;
      for (let attempt = 0; attempt <= PART_RETRIES; attempt++) {
        try {
          etag = await this.client.uploadPart(this.bucket, this.status.key, multipart.uploadId, part.partNumber, body, (sent) => {
            this.update({ sent: this.doneBytes() + Math.min(sent, body.size) });
          });
          lastError = undefined;
          break;
        } catch (error) {
          lastError = error;
          this.update({ sent: this.doneBytes() });
          if (attempt < PART_RETRIES) await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
        }
      }
      if (lastError !== undefined) throw new Error(`part ${part.partNumber} of ${plan.length} failed ${PART_RETRIES + 1} times: ${describeError(lastError)}`);
      this.partsDone.set(part.partNumber, { partNumber: part.partNumber, size: body.size, etag: etag ?? '' });
      this.update({ sent: this.doneBytes() });
    }
    // ETags the endpoint did not expose to the page come from ListParts.
    let parts = plan.map((p) => this.partsDone.get(p.partNumber)).filter((p): p is PartInfo => p !== undefined);
    if (parts.some((p) => p.etag === '')) {
      const listed = new Map((await this.client.listParts(this.bucket, this.status.key, multipart.uploadId)).map((p) => [p.partNumber, p]));
      parts = parts.map((p) => ({ ...p, etag: p.etag === '' ? (listed.get(p.partNumber)?.etag ?? '') : p.etag }));
    }
    await this.client.completeMultipartUpload(this.bucket, this.status.key, multipart.uploadId, parts);
    this.update({ state: 'done', sent: this.file.size, resumable: false });
  }
}
