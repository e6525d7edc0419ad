// The objects of a bucket: folders by prefix, pages of 1000 keys, uploads with progress and resume, download,
// multi-select delete, metadata and checksums, pre-signed links.

import { useEffect, useRef, useState } from 'preact/hooks';
import { CopyButton, Empty, LoadFailed, Loading, TableScroll } from '../components/ui.tsx';
import { useAction, useLoad, usePortal } from '../context.ts';
import { formatBytes, formatCount, formatDuration, formatTime } from '../format.ts';
import { prefixCrumbs, routeHref } from '../router.ts';
import type { ObjectHead, ObjectSummary } from '../s3.ts';
import { Upload, type UploadStatus } from '../upload.ts';

const DELIMITER = '/';
const PAGE_SIZE = 1000;
const EXPIRIES = [900, 3600, 86400, 604800] as const;
/** Files uploaded at once; the rest wait their turn. */
const PARALLEL_UPLOADS = 2;

function baseName(key: string): string {
  const trimmed = key.endsWith(DELIMITER) ? key.slice(0, -1) : key;
  return trimmed.slice(trimmed.lastIndexOf(DELIMITER) + 1);
}

function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked later: revoking at once can cancel the download in some browsers.
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 60_000);
}

function UploadRow({ status, onResume }: { readonly status: UploadStatus; readonly onResume: () => void }) {
  const max = Math.max(status.size, 1);
  const value = status.state === 'done' ? max : Math.min(status.sent, max);
  const percent = Math.floor((value / max) * 100);
  return (
    <li class={`upload upload-${status.state}`}>
      <span class="upload-name" title={status.key}>
        {status.name}
      </span>
      <progress data-testid={`upload-progress-${status.name}`} data-state={status.state} value={value} max={max} aria-label={`Upload of ${status.name}`}>
        {percent}%
      </progress>
      <span class="upload-figures">
        {status.state === 'done' ? `done, ${formatBytes(status.size)}` : status.state === 'failed' ? 'failed' : `${formatBytes(value)} of ${formatBytes(status.size)} (${percent}%)`}
      </span>
      {status.state === 'failed' && status.resumable ? (
        <button type="button" data-testid={`upload-resume-${status.name}`} onClick={onResume}>
          Resume
        </button>
      ) : status.state === 'failed' ? (
        <button type="button" data-testid={`upload-resume-${status.name}`} onClick={onResume}>
          Retry
        </button>
      ) : null}
      {status.error === undefined ? null : <span class="field-error upload-error">{status.error}</span>}
    </li>
  );
}

function ObjectDetails({ bucket, object, onClose }: { readonly bucket: string; readonly object: ObjectSummary; readonly onClose: () => void }) {
  const { session } = usePortal();
  const head = useLoad<ObjectHead>(() => session.s3.headObject(bucket, object.key), [bucket, object.key]);
  const headers = head.data?.headers ?? [];
  const checksums = headers.filter(([name]) => name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-type');
  const meta = headers.filter(([name]) => name.startsWith('x-amz-meta-'));
  const get = (name: string): string | undefined => headers.find(([n]) => n === name)?.[1];
  return (
    <div class="details" data-testid="object-details">
      <div class="details-header">
        <h3>{object.key}</h3>
        <button type="button" onClick={onClose} aria-label="Close the details">
          Close
        </button>
      </div>
      {head.data === undefined ? (
        head.error === undefined ? <Loading what="metadata" /> : <LoadFailed error={head.error} retry={head.reload} />
      ) : (
        <dl class="facts">
          <dt>Size</dt>
          <dd>
            {formatBytes(Number(get('content-length') ?? object.size))} ({formatCount(Number(get('content-length') ?? object.size))} bytes)
          </dd>
          <dt>Content type</dt>
          <dd>{get('content-type') ?? '—'}</dd>
          <dt>ETag</dt>
          <dd>
            <code>{get('etag') ?? object.etag}</code>
          </dd>
          <dt>Last modified</dt>
          <dd>{formatTime(get('last-modified') ?? object.lastModified)}</dd>
          <dt>Checksums</dt>
          <dd>
            {checksums.length === 0
              ? 'none stored (the client sent no checksum when uploading)'
              : checksums.map(([name, value]) => (
                  <div key={name}>
                    {name.slice('x-amz-checksum-'.length).toUpperCase()}: <code>{value}</code>
                  </div>
                ))}
          </dd>
          <dt>User metadata</dt>
          <dd>
            {meta.length === 0
              ? 'none'
              : meta.map(([name, value]) => (
                  <div key={name}>
                    {name.slice('x-amz-meta-'.length)}: {value}
                  </div>
                ))}
          </dd>
          {headers.length > 0 && get('content-length') === undefined ? (
            <>
              <dt>Note</dt>
              <dd class="muted">The S3 endpoint exposes few response headers to this page (CORS Access-Control-Expose-Headers).</dd>
            </>
          ) : null}
        </dl>
      )}
    </div>
  );
}

function PresignPanel({ bucket, object, onClose }: { readonly bucket: string; readonly object: ObjectSummary; readonly onClose: () => void }) {
  const { session } = usePortal();
  const run = useAction();
  const [expires, setExpires] = useState<number>(3600);
  const [url, setUrl] = useState<string | undefined>(undefined);
  useEffect(() => {
    setUrl(undefined);
    void run(async () => {
      setUrl(await session.s3.presignGet(bucket, object.key, expires));
    });
  }, [bucket, object.key, expires, run, session]);
  return (
    <div class="details" data-testid="object-presign-panel">
      <div class="details-header">
        <h3>Link to {object.key}</h3>
        <button type="button" onClick={onClose} aria-label="Close the link panel">
          Close
        </button>
      </div>
      <p class="muted small">
        Anyone with this link can download the object until it expires, without a key. It is signed with your key: revoking the key ends it too.
      </p>
      <label>
        Valid for
        <select
          data-testid="presign-expiry"
          value={String(expires)}
          onChange={(e) => {
            setExpires(Number(e.currentTarget.value));
          }}
        >
          {EXPIRIES.map((s) => (
            <option key={s} value={String(s)}>
              {formatDuration(s)}
            </option>
          ))}
        </select>
      </label>
      {url === undefined ? (
        <Loading what="the link" />
      ) : (
        <div class="presigned">
          <input data-testid="presign-url" readOnly value={url} aria-label="Pre-signed URL" onFocus={(e) => { e.currentTarget.select(); }} />
          <CopyButton text={url} testId="presign-copy" />
          <a href={url} target="_blank" rel="noopener noreferrer" data-testid="presign-open">
            Open
          </a>
        </div>
      )}
    </div>
  );
}

export function ObjectsPage({ bucket, prefix }: { readonly bucket: string; readonly prefix: string }) {
  const { session, notify, report } = usePortal();
  const run = useAction();
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const [pageIndex, setPageIndex] = useState(0);
  const token = tokens[pageIndex];
  const listing = useLoad(() => session.s3.listObjects(bucket, { prefix, delimiter: DELIMITER, continuationToken: token, maxKeys: PAGE_SIZE }), [bucket, prefix, token]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [panel, setPanel] = useState<{ readonly key: string; readonly kind: 'info' | 'presign' } | undefined>(undefined);
  const [uploads, setUploads] = useState<readonly UploadStatus[]>([]);
  const uploadObjects = useRef(new Map<string, Upload>());
  const queue = useRef<Upload[]>([]);
  const running = useRef(0);
  const [dragging, setDragging] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  // Another folder or bucket: back to its first page, nothing selected.
  useEffect(() => {
    setTokens([undefined]);
    setPageIndex(0);
    setSelected(new Set());
    setPanel(undefined);
  }, [bucket, prefix]);

  useEffect(
    () => () => {
      if (reloadTimer.current !== undefined) clearTimeout(reloadTimer.current);
    },
    [],
  );

  const reloadSoon = (): void => {
    if (reloadTimer.current !== undefined) clearTimeout(reloadTimer.current);
    reloadTimer.current = setTimeout(() => {
      listing.reload();
    }, 300);
  };

  const onStatus = (status: UploadStatus): void => {
    setUploads((list) => list.map((u) => (u.name === status.name ? status : u)));
  };

  const pump = (): void => {
    while (running.current < PARALLEL_UPLOADS && queue.current.length > 0) {
      const next = queue.current.shift();
      if (next === undefined) break;
      running.current++;
      void next.start().then(() => {
        running.current--;
        if (next.current.state === 'failed') report(new Error(`Upload of ${next.current.name} failed: ${next.current.error ?? 'unknown error'}`));
        else reloadSoon();
        pump();
      });
    }
  };

  const addFiles = (files: readonly File[]): void => {
    if (files.length === 0) return;
    const fresh: UploadStatus[] = [];
    for (const file of files) {
      const upload = new Upload(session.s3, bucket, `${prefix}${file.name}`, file.name, file, onStatus);
      uploadObjects.current.set(file.name, upload);
      queue.current.push(upload);
      fresh.push(upload.current);
    }
    const names = new Set(fresh.map((u) => u.name));
    setUploads((list) => [...list.filter((u) => !names.has(u.name)), ...fresh]);
    pump();
  };

  const resume = (name: string): void => {
    const upload = uploadObjects.current.get(name);
    if (upload === undefined) return;
    void upload.resume().then(() => {
      if (upload.current.state === 'failed') report(new Error(`Upload of ${name} failed again: ${upload.current.error ?? 'unknown error'}`));
      else reloadSoon();
    });
  };

  const download = (object: ObjectSummary): void => {
    void run(async () => {
      saveBlob(await session.s3.getObject(bucket, object.key), baseName(object.key));
    });
  };

  const deleteSelected = (): void => {
    const keys = [...selected];
    if (keys.length === 0) return;
    setDeleting(true);
    void run(async () => {
      const result = await session.s3.deleteObjects(bucket, keys);
      if (result.errors.length > 0) {
        const first = result.errors[0];
        throw new Error(`${result.errors.length} of ${keys.length} objects were not deleted${first === undefined ? '' : ` (${first.key}: ${first.code} ${first.message})`}.`);
      }
      notify(`Deleted ${keys.length === 1 ? keys[0] ?? '' : `${formatCount(keys.length)} objects`}.`);
    }).then(() => {
      setDeleting(false);
      setSelected(new Set());
      setPanel(undefined);
      listing.reload();
    });
  };

  const toggle = (key: string, on: boolean): void => {
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(key);
      else next.delete(key);
      return next;
    });
  };

  const page = listing.data;
  const objects = page?.objects ?? [];
  const allSelected = objects.length > 0 && objects.every((o) => selected.has(o.key));
  const crumbs = prefixCrumbs(prefix, DELIMITER);
  const firstIndex = pageIndex * PAGE_SIZE;

  return (
    <section>
      <nav class="crumbs" aria-label="Folder">
        <a href="#/buckets">Buckets</a>
        <span aria-hidden="true"> / </span>
        <a href={routeHref({ page: 'objects', bucket, prefix: '' })}>{bucket}</a>
        {crumbs.map((c) => (
          <span key={c.prefix}>
            <span aria-hidden="true"> / </span>
            <a href={routeHref({ page: 'objects', bucket, prefix: c.prefix })}>{c.name}</a>
          </span>
        ))}
      </nav>
      <h1>
        {bucket}
        {prefix === '' ? '' : ` / ${prefix}`}
      </h1>

      <div
        class={`dropzone${dragging ? ' dragging' : ''}`}
        data-testid="upload-drop"
        onDragOver={(e) => {
          e.preventDefault();
          if (e.dataTransfer !== null) e.dataTransfer.dropEffect = 'copy';
          setDragging(true);
        }}
        onDragLeave={() => {
          setDragging(false);
        }}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          addFiles(Array.from(e.dataTransfer?.files ?? []));
        }}
      >
        <p>
          Drop files here to upload them to <strong>{prefix === '' ? bucket : `${bucket}/${prefix}`}</strong>, or{' '}
          <label class="file-label">
            choose files
            <input
              type="file"
              multiple
              data-testid="upload-input"
              onChange={(e) => {
                const input = e.currentTarget;
                addFiles(Array.from(input.files ?? []));
                input.value = '';
              }}
            />
          </label>
          .
        </p>
        <p class="muted small">Files up to 8 MiB go up in one request; larger ones in 8 MiB parts, each retried up to 3 times, and resumable.</p>
      </div>
      {uploads.length === 0 ? null : (
        <div class="uploads">
          <div class="uploads-header">
            <h2>Uploads</h2>
            <button
              type="button"
              onClick={() => {
                setUploads((list) => list.filter((u) => u.state === 'uploading'));
              }}
            >
              Clear finished
            </button>
          </div>
          <ul>
            {uploads.map((u) => (
              <UploadRow
                key={u.name}
                status={u}
                onResume={() => {
                  resume(u.name);
                }}
              />
            ))}
          </ul>
        </div>
      )}

      <div class="toolbar">
        <button type="button" class="danger" data-testid="object-delete-selected" disabled={selected.size === 0 || deleting} onClick={deleteSelected}>
          {deleting ? 'Deleting…' : `Delete selected (${selected.size})`}
        </button>
        <button type="button" onClick={listing.reload}>
          Refresh
        </button>
        <span class="spacer" />
        {pageIndex > 0 || page?.nextToken !== undefined ? (
          <span class="pager">
            <button
              type="button"
              disabled={pageIndex === 0}
              onClick={() => {
                setPageIndex((i) => Math.max(0, i - 1));
                setSelected(new Set());
              }}
            >
              Previous
            </button>
            <span class="muted">
              entries {formatCount(firstIndex + 1)}–{formatCount(firstIndex + objects.length + (page?.prefixes.length ?? 0))}
            </span>
            <button
              type="button"
              disabled={page?.nextToken === undefined}
              onClick={() => {
                const next = page?.nextToken;
                if (next === undefined) return;
                setTokens((t) => [...t.slice(0, pageIndex + 1), next]);
                setPageIndex((i) => i + 1);
                setSelected(new Set());
              }}
            >
              Next
            </button>
          </span>
        ) : null}
      </div>

      {page === undefined ? (
        listing.error === undefined ? <Loading what="objects" /> : <LoadFailed error={listing.error} retry={listing.reload} />
      ) : page.objects.length === 0 && page.prefixes.length === 0 ? (
        <Empty>
          <p>{prefix === '' ? 'This bucket is empty.' : 'This folder is empty.'}</p>
          <p>Upload files by choosing them or dropping them above, or with any S3 client (for example the AWS CLI or rclone).</p>
        </Empty>
      ) : (
        <TableScroll label="Objects">
          <table class="objects stack">
            <thead>
              <tr>
                <th scope="col" class="check">
                  <input
                    type="checkbox"
                    aria-label="Select every object on this page"
                    checked={allSelected}
                    disabled={objects.length === 0}
                    onChange={(e) => {
                      setSelected(e.currentTarget.checked ? new Set(objects.map((o) => o.key)) : new Set());
                    }}
                  />
                </th>
                <th scope="col">Name</th>
                <th scope="col" class="num">
                  Size
                </th>
                <th scope="col">Last modified</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {page.prefixes.map((p) => (
                <tr key={`prefix:${p}`} class="folder">
                  <td />
                  <td colSpan={4}>
                    <a href={routeHref({ page: 'objects', bucket, prefix: p })} data-testid={`prefix-${p}`}>
                      <span aria-hidden="true">📁 </span>
                      {p.slice(prefix.length)}
                    </a>
                  </td>
                </tr>
              ))}
              {objects.map((o) => {
                const open = panel?.key === o.key ? panel.kind : undefined;
                return [
                  <tr key={o.key} data-testid={`object-row-${o.key}`} class={selected.has(o.key) ? 'selected' : undefined}>
                    <td class="check">
                      <input
                        type="checkbox"
                        data-testid={`object-select-${o.key}`}
                        aria-label={`Select ${o.key}`}
                        checked={selected.has(o.key)}
                        onChange={(e) => {
                          toggle(o.key, e.currentTarget.checked);
                        }}
                      />
                    </td>
                    <td class="key" data-label="Name">{o.key.slice(prefix.length)}</td>
                    <td class="num" data-label="Size" title={`${formatCount(o.size)} bytes`}>
                      {formatBytes(o.size)}
                    </td>
                    <td data-label="Modified">{formatTime(o.lastModified)}</td>
                    <td class="actions">
                      <button
                        type="button"
                        data-testid={`object-download-${o.key}`}
                        onClick={() => {
                          download(o);
                        }}
                      >
                        Download
                      </button>
                      <button
                        type="button"
                        data-testid={`object-info-${o.key}`}
                        aria-expanded={open === 'info'}
                        onClick={() => {
                          setPanel(open === 'info' ? undefined : { key: o.key, kind: 'info' });
                        }}
                      >
                        Info
                      </button>
                      <button
                        type="button"
                        data-testid={`object-presign-${o.key}`}
                        aria-expanded={open === 'presign'}
                        onClick={() => {
                          setPanel(open === 'presign' ? undefined : { key: o.key, kind: 'presign' });
                        }}
                      >
                        Share link
                      </button>
                    </td>
                  </tr>,
                  open === undefined ? null : (
                    <tr key={`${o.key}:panel`} class="panel-row">
                      <td colSpan={5}>
                        {open === 'info' ? (
                          <ObjectDetails
                            bucket={bucket}
                            object={o}
                            onClose={() => {
                              setPanel(undefined);
                            }}
                          />
                        ) : (
                          <PresignPanel
                            bucket={bucket}
                            object={o}
                            onClose={() => {
                              setPanel(undefined);
                            }}
                          />
                        )}
                      </td>
                    </tr>
                  ),
                ];
              })}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
