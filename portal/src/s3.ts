// The S3 client of the portal: signed fetch for small calls, XMLHttpRequest where upload progress matters.

import { networkError, PortalError, s3Error } from './errors.ts';
import { presignUrl, sha256Hex, signRequest, uriEncode, UNSIGNED_PAYLOAD, type Credentials } from './sigv4.ts';

export interface ObjectSummary {
  readonly key: string;
  readonly size: number;
  readonly lastModified: string;
  readonly etag: string;
}

export interface ListPage {
  readonly objects: readonly ObjectSummary[];
  /** Common prefixes ("folders"), each ending in the delimiter. */
  readonly prefixes: readonly string[];
  /** Present when more keys follow. */
  readonly nextToken: string | undefined;
}

export interface PartInfo {
  readonly partNumber: number;
  readonly size: number;
  readonly etag: string;
}

export interface ObjectHead {
  /** Every response header the endpoint lets the page read, lower-case names, sorted. */
  readonly headers: readonly (readonly [string, string])[];
}

export interface DeleteResult {
  readonly deleted: readonly string[];
  readonly errors: readonly { readonly key: string; readonly code: string; readonly message: string }[];
}

export type Progress = (sentBytes: number) => void;

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function parseXml(text: string): Document {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length > 0) throw new PortalError('s3', 200, 'MalformedResponse', 'The S3 endpoint answered with XML the portal cannot read.');
  return doc;
}

function childText(parent: Element | Document, name: string): string | undefined {
  for (const child of Array.from(parent.childNodes)) {
    if (child.nodeType === 1 && (child as Element).localName === name) return child.textContent ?? '';
  }
  // A document: look below its root.
  if (parent instanceof Document) return childText(parent.documentElement, name);
  return undefined;
}

function children(parent: Element, name: string): Element[] {
  return Array.from(parent.children).filter((c) => c.localName === name);
}

/** Decodes a value listed with encoding-type=url. */
function urlDecoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

interface XhrAnswer {
  readonly status: number;
  readonly body: string;
  readonly header: (name: string) => string | null;
}

export class S3Client {
  readonly credentials: Credentials;
  readonly endpoint: string;

  constructor(credentials: Credentials, endpoint: string) {
    this.credentials = credentials;
    this.endpoint = endpoint.replace(/\/+$/, '');
  }

  /** Path-style URL: `/bucket/key`, the key `UriEncode`d with its slashes kept. */
  url(bucket: string, key?: string, query?: string): string {
    const path = `/${uriEncode(bucket)}${key === undefined ? '' : `/${uriEncode(key, true)}`}`;
    return `${this.endpoint}${path}${query === undefined || query === '' ? '' : `?${query}`}`;
  }

  private async send(method: string, url: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const payloadHash = options.body === undefined ? await sha256Hex('') : await sha256Hex(options.body);
    const headers = await signRequest({ method, url, headers: options.headers ?? {}, payloadHash }, this.credentials);
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(options.body === undefined ? {} : { body: options.body }), cache: 'no-store' });
    } catch (error) {
      throw networkError(`S3 ${method}`, error);
    }
    if (!response.ok) throw s3Error(response.status, method === 'HEAD' ? '' : await response.text());
    return response;
  }

  /** A request through XMLHttpRequest, reporting body bytes as they go. */
  private async sendWithProgress(method: string, url: string, body: Blob, headers: Record<string, string>, onProgress: Progress, signal?: AbortSignal): Promise<XhrAnswer> {
    const signed = await signRequest({ method, url, headers, payloadHash: UNSIGNED_PAYLOAD }, this.credentials);
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      for (const [name, value] of Object.entries(signed)) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (event) => {
        onProgress(event.loaded);
      };
      xhr.onload = () => {
        const answer: XhrAnswer = { status: xhr.status, body: xhr.responseText, header: (name) => xhr.getResponseHeader(name) };
        if (xhr.status >= 200 && xhr.status < 300) {
          onProgress(body.size);
          resolve(answer);
        } else reject(s3Error(xhr.status, xhr.responseText));
      };
      xhr.onerror = () => {
        reject(networkError(`S3 ${method}`, new Error('the connection failed')));
      };
      xhr.onabort = () => {
        reject(new PortalError('portal', 0, 'aborted', 'The upload was cancelled.'));
      };
      signal?.addEventListener('abort', () => {
        xhr.abort();
      });
      xhr.send(body);
    });
  }

  async listObjects(bucket: string, options: { prefix: string; delimiter?: string; continuationToken?: string | undefined; maxKeys?: number }): Promise<ListPage> {
    const params = [
      ['list-type', '2'],
      ['encoding-type', 'url'],
      ['max-keys', String(options.maxKeys ?? 1000)],
      ['prefix', options.prefix],
      ...(options.delimiter === undefined ? [] : [['delimiter', options.delimiter]]),
      ...(options.continuationToken === undefined ? [] : [['continuation-token', options.continuationToken]]),
    ];
    const query = params.map(([k, v]) => `${uriEncode(k ?? '')}=${uriEncode(v ?? '')}`).join('&');
    const response = await this.send('GET', this.url(bucket, undefined, query));
    const doc = parseXml(await response.text());
    const root = doc.documentElement;
    const objects = children(root, 'Contents').map((c) => ({
      key: urlDecoded(childText(c, 'Key') ?? ''),
      size: Number(childText(c, 'Size') ?? '0'),
      lastModified: childText(c, 'LastModified') ?? '',
      etag: childText(c, 'ETag') ?? '',
    }));
    const prefixes = children(root, 'CommonPrefixes').map((c) => urlDecoded(childText(c, 'Prefix') ?? ''));
    const truncated = childText(root, 'IsTruncated') === 'true';
    const next = childText(root, 'NextContinuationToken');
    return { objects, prefixes, nextToken: truncated && next !== undefined && next !== '' ? next : undefined };
  }

  async putObject(bucket: string, key: string, file: Blob, onProgress: Progress, signal?: AbortSignal): Promise<void> {
    await this.sendWithProgress('PUT', this.url(bucket, key), file, { 'content-type': file.type === '' ? 'application/octet-stream' : file.type }, onProgress, signal);
  }

  async createMultipartUpload(bucket: string, key: string, contentType: string): Promise<string> {
    const response = await this.send('POST', this.url(bucket, key, 'uploads='), { headers: { 'content-type': contentType === '' ? 'application/octet-stream' : contentType } });
    const uploadId = childText(parseXml(await response.text()), 'UploadId');
    if (uploadId === undefined || uploadId === '') throw new PortalError('s3', response.status, 'MalformedResponse', 'CreateMultipartUpload answered without an UploadId.');
    return uploadId;
  }

  /** Returns the part's ETag when the endpoint exposes it to the page (else ListParts supplies it). */
  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Blob, onProgress: Progress, signal?: AbortSignal): Promise<string | null> {
    const query = `partNumber=${partNumber}&uploadId=${uriEncode(uploadId)}`;
    const answer = await this.sendWithProgress('PUT', this.url(bucket, key, query), body, {}, onProgress, signal);
    return answer.header('etag');
  }

  async listParts(bucket: string, key: string, uploadId: string): Promise<PartInfo[]> {
    const parts: PartInfo[] = [];
    let marker: string | undefined;
    for (;;) {
      const query = `max-parts=1000&uploadId=${uriEncode(uploadId)}${marker === undefined ? '' : `&part-number-marker=${uriEncode(marker)}`}`;
      const doc = parseXml(await (await this.send('GET', this.url(bucket, key, query))).text());
      for (const p of children(doc.documentElement, 'Part')) {
        parts.push({ partNumber: Number(childText(p, 'PartNumber')), size: Number(childText(p, 'Size')), etag: childText(p, 'ETag') ?? '' });
      }
      const next = childText(doc, 'NextPartNumberMarker');
      if (childText(doc, 'IsTruncated') !== 'true' || next === undefined || next === marker) break;
      marker = next;
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: readonly PartInfo[]): Promise<void> {
    const body =
      `<CompleteMultipartUpload xmlns="${S3_NS}">` +
      parts.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${escapeXml(p.etag)}</ETag></Part>`).join('') +
      '</CompleteMultipartUpload>';
    const response = await this.send('POST', this.url(bucket, key, `uploadId=${uriEncode(uploadId)}`), { body, headers: { 'content-type': 'application/xml' } });
    // CompleteMultipartUpload may answer 200 with an error document.
    const text = await response.text();
    if (/<Error>/.test(text)) throw s3Error(response.status, text);
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.send('DELETE', this.url(bucket, key, `uploadId=${uriEncode(uploadId)}`));
  }

  async getObject(bucket: string, key: string): Promise<Blob> {
    const response = await this.send('GET', this.url(bucket, key));
    return response.blob();
  }

  async headObject(bucket: string, key: string): Promise<ObjectHead> {
    const response = await this.send('HEAD', this.url(bucket, key), { headers: { 'x-amz-checksum-mode': 'ENABLED' } });
    const headers: [string, string][] = [];
    response.headers.forEach((value, name) => {
      headers.push([name.toLowerCase(), value]);
    });
    return { headers: headers.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
  }

  /** DeleteObjects, 1000 keys a request. */
  async deleteObjects(bucket: string, keys: readonly string[]): Promise<DeleteResult> {
    const deleted: string[] = [];
    const errors: { key: string; code: string; message: string }[] = [];
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const body = `<Delete xmlns="${S3_NS}"><Quiet>false</Quiet>${batch.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join('')}</Delete>`;
      const response = await this.send('POST', this.url(bucket, undefined, 'delete='), { body, headers: { 'content-type': 'application/xml' } });
      const doc = parseXml(await response.text());
      for (const d of children(doc.documentElement, 'Deleted')) deleted.push(childText(d, 'Key') ?? '');
      for (const e of children(doc.documentElement, 'Error')) errors.push({ key: childText(e, 'Key') ?? '', code: childText(e, 'Code') ?? '', message: childText(e, 'Message') ?? '' });
    }
    return { deleted, errors };
  }

  presignGet(bucket: string, key: string, expiresSeconds: number): Promise<string> {
    return presignUrl({ method: 'GET', url: this.url(bucket, key), expiresSeconds }, this.credentials);
  }

  /** CreateBucket; `policy` becomes the LocationConstraint (the storage policy's name), as SERRANO's gateway did. */
  async createBucket(bucket: string, policy: string | undefined): Promise<void> {
    const body =
      policy === undefined || policy === ''
        ? undefined
        : `<CreateBucketConfiguration xmlns="${S3_NS}"><LocationConstraint>${escapeXml(policy)}</LocationConstraint></CreateBucketConfiguration>`;
    await this.send('PUT', this.url(bucket), body === undefined ? {} : { body, headers: { 'content-type': 'application/xml' } });
  }

  async deleteBucket(bucket: string): Promise<void> {
    await this.send('DELETE', this.url(bucket));
  }
}
