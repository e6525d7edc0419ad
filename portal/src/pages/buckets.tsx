// Buckets: usage per bucket (objects, logical and stored bytes), create with a storage policy, delete when empty, shred.

import { useState } from 'preact/hooks';
import { Empty, LoadFailed, Loading, PageHeader, TableScroll } from '../components/ui.tsx';
import { useAction, useLoad, usePortal } from '../context.ts';
import { PortalError } from '../errors.ts';
import { formatBytes, formatCount, formatTime } from '../format.ts';
import { routeHref } from '../router.ts';
import type { Bucket, Policy } from '../types.ts';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Why a bucket name is refused by S3's rules, or undefined when it is fine. */
export function bucketNameProblem(name: string): string | undefined {
  if (name === '') return 'Enter a name.';
  if (!BUCKET_NAME.test(name)) return 'Bucket names are 3–63 characters of a–z, 0–9, dots and hyphens, starting and ending with a letter or digit.';
  if (name.includes('..')) return 'Bucket names cannot contain two dots in a row.';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'Bucket names cannot look like an IP address.';
  return undefined;
}

function CreateBucket({ policies, onCreated, onCancel }: { readonly policies: readonly Policy[]; readonly onCreated: (name: string) => void; readonly onCancel: () => void }) {
  const { session } = usePortal();
  const run = useAction();
  const [name, setName] = useState('');
  const [policy, setPolicy] = useState(policies.some((p) => p.name === 'default') ? 'default' : (policies[0]?.name ?? ''));
  const [busy, setBusy] = useState(false);
  const problem = name === '' ? undefined : bucketNameProblem(name);
  const chosen = policies.find((p) => p.name === policy);
  return (
    <form
      class="card form"
      onSubmit={(event) => {
        event.preventDefault();
        setBusy(true);
        void run(() => session.s3.createBucket(name, policy)).then((ok) => {
          setBusy(false);
          if (ok) onCreated(name);
        });
      }}
    >
      <h2>New bucket</h2>
      <label>
        Name
        <input data-testid="bucket-name" value={name} required autocomplete="off" aria-describedby="bucket-name-help" onInput={(e) => { setName(e.currentTarget.value.trim()); }} />
      </label>
      <p id="bucket-name-help" class={problem === undefined ? 'muted small' : 'field-error'}>
        {problem ?? '3–63 characters: a–z, 0–9, dots and hyphens.'}
      </p>
      <label>
        Storage policy
        <select data-testid="bucket-policy" value={policy} onChange={(e) => { setPolicy(e.currentTarget.value); }}>
          {policies.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name} (k={p.redundancy.data_packets}, r={p.redundancy.redundant_packets})
            </option>
          ))}
        </select>
      </label>
      {chosen === undefined ? null : (
        <p class="muted small">
          {chosen.description === '' ? '' : `${chosen.description}. `}Objects are spread over {chosen.redundancy.data_packets + chosen.redundancy.redundant_packets} of{' '}
          {chosen.backends.length + chosen.edge_devices.length} locations; any {chosen.redundancy.redundant_packets} may fail. The policy is passed as CreateBucket's
          LocationConstraint.
        </p>
      )}
      <div class="buttons">
        <button type="submit" class="primary" data-testid="bucket-create" disabled={busy}>
          {busy ? 'Creating…' : 'Create bucket'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ShredDialog({ bucket, onDone, onCancel }: { readonly bucket: Bucket; readonly onDone: (objects: number) => void; readonly onCancel: () => void }) {
  const { session } = usePortal();
  const run = useAction();
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="card form danger-zone"
      aria-labelledby="shred-title"
      onSubmit={(event) => {
        event.preventDefault();
        if (typed !== bucket.name) return;
        setBusy(true);
        let objects = 0;
        void run(async () => {
          objects = (await session.admin.shredBucket(bucket.name)).objects;
        }).then((ok) => {
          setBusy(false);
          if (ok) onDone(objects);
        });
      }}
    >
      <h2 id="shred-title">Shred bucket {bucket.name}</h2>
      <p>
        Shredding destroys the bucket's encryption key first. From that moment nobody — not you, not an administrator, not anyone holding copies of the fragments
        or of the metadata — can decrypt any of its <strong>{formatCount(bucket.objects)}</strong> objects ({formatBytes(bucket.logical_bytes)}). Then the
        bucket and its metadata are deleted and the fragments are garbage-collected from every location.
      </p>
      <p>
        <strong>This cannot be undone.</strong> Type the bucket name to confirm.
      </p>
      <label>
        Bucket name
        <input data-testid="shred-confirm" value={typed} autocomplete="off" onInput={(e) => { setTyped(e.currentTarget.value); }} />
      </label>
      <div class="buttons">
        <button type="submit" class="danger" data-testid="shred-submit" disabled={busy || typed !== bucket.name}>
          {busy ? 'Shredding…' : 'Shred for ever'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function BucketsPage() {
  const { session, notify } = usePortal();
  const run = useAction();
  const buckets = useLoad(() => session.admin.buckets(), []);
  const policies = useLoad(() => session.admin.policies(), []);
  const [creating, setCreating] = useState(false);
  const [shredding, setShredding] = useState<string | undefined>(undefined);
  const isAdmin = session.whoami.admin;
  const shredTarget = buckets.data?.find((b) => b.name === shredding);

  const remove = (bucket: Bucket): void => {
    void run(async () => {
      try {
        await session.s3.deleteBucket(bucket.name);
      } catch (error) {
        if (error instanceof PortalError && error.code === 'BucketNotEmpty') {
          const stop = /[.!?]$/.test(error.message) ? '' : '.';
          throw new PortalError(error.source, error.status, error.code, `${error.message}${stop} Delete its objects first${isAdmin ? ', or shred the bucket' : ''}.`);
        }
        throw error;
      }
    }).then((ok) => {
      if (ok) {
        notify(`Deleted bucket ${bucket.name}.`);
        buckets.reload();
      }
    });
  };

  return (
    <section>
      <PageHeader title="Buckets">
        <button
          type="button"
          class="primary"
          data-testid="bucket-new"
          onClick={() => {
            setCreating(true);
            if (policies.error !== undefined) policies.reload();
          }}
        >
          New bucket
        </button>
      </PageHeader>
      {creating ? (
        policies.data === undefined ? (
          <Loading what="storage policies" />
        ) : (
          <CreateBucket
            policies={policies.data}
            onCancel={() => {
              setCreating(false);
            }}
            onCreated={(name) => {
              setCreating(false);
              notify(`Created bucket ${name}.`);
              buckets.reload();
            }}
          />
        )
      ) : null}
      {shredTarget === undefined ? null : (
        <ShredDialog
          bucket={shredTarget}
          onCancel={() => {
            setShredding(undefined);
          }}
          onDone={(objects) => {
            setShredding(undefined);
            notify(`Shredded bucket ${shredTarget.name}: ${formatCount(objects)} objects can no longer be decrypted by anyone.`);
            buckets.reload();
          }}
        />
      )}
      {buckets.data === undefined ? (
        buckets.error === undefined ? <Loading what="buckets" /> : <LoadFailed error={buckets.error} retry={buckets.reload} />
      ) : buckets.data.length === 0 ? (
        <Empty>
          <p>No buckets yet{isAdmin ? '' : ' that your key may see'}.</p>
          <p>
            Create one with <strong>New bucket</strong>, or with any S3 client, e.g.{' '}
            <code>aws --endpoint-url {session.s3.endpoint} s3 mb s3://my-bucket</code>. Each bucket's objects are encrypted and spread over the locations of
            its storage policy.
          </p>
        </Empty>
      ) : (
        <TableScroll label="Buckets">
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Bucket</th>
                <th scope="col">Policy</th>
                <th scope="col" class="num">
                  Objects
                </th>
                <th scope="col" class="num" title="The size of the objects as written">
                  Logical
                </th>
                <th scope="col" class="num" title="What the fragments take at the locations (after compression, with redundancy)">
                  Stored
                </th>
                {isAdmin ? <th scope="col">Team</th> : null}
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {buckets.data.map((b) => (
                <tr key={b.name} data-testid={`bucket-row-${b.name}`}>
                  <td data-label="Bucket">
                    <a href={routeHref({ page: 'objects', bucket: b.name, prefix: '' })} data-testid={`bucket-open-${b.name}`}>
                      {b.name}
                    </a>
                  </td>
                  <td data-label="Policy">
                    {b.policy.name} <span class="muted">v{b.policy.version}</span>
                  </td>
                  <td class="num" data-label="Objects">{formatCount(b.objects)}</td>
                  <td class="num" data-label="Logical">{formatBytes(b.logical_bytes)}</td>
                  <td class="num" data-label="Stored">{formatBytes(b.stored_bytes)}</td>
                  {isAdmin ? <td data-label="Team">{b.team_id}</td> : null}
                  <td data-label="Created">{formatTime(b.created_at)}</td>
                  <td class="actions">
                    <button
                      type="button"
                      data-testid={`bucket-delete-${b.name}`}
                      title={b.objects > 0 ? 'Only an empty bucket can be deleted' : 'Delete this empty bucket'}
                      onClick={() => {
                        remove(b);
                      }}
                    >
                      Delete
                    </button>
                    {isAdmin ? (
                      <button
                        type="button"
                        class="danger"
                        data-testid={`bucket-shred-${b.name}`}
                        onClick={() => {
                          setShredding(b.name);
                          window.scrollTo({ top: 0 });
                        }}
                      >
                        Shred…
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
