// API keys (administrators): create (the secret shown once), per-bucket scopes, revoke.

import { useState } from 'preact/hooks';
import { CopyButton, Empty, LoadFailed, Loading, PageHeader, TableScroll } from '../components/ui.tsx';
import { useAction, useLoad, usePortal } from '../context.ts';
import { formatTime } from '../format.ts';
import { SCOPES, type AccessKey, type AccessKeyCreated, type Bucket, type Scope } from '../types.ts';

const TEAM = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const SCOPE_TEXT: Readonly<Record<Scope, string>> = {
  full: 'full (read and write)',
  read: 'read only',
  none: 'none (cannot see it)',
};

function CreateKey({ onCreated, onCancel }: { readonly onCreated: (key: AccessKeyCreated) => void; readonly onCancel: () => void }) {
  const { session } = usePortal();
  const run = useAction();
  const [team, setTeam] = useState('');
  const [scope, setScope] = useState<Scope>('full');
  const [busy, setBusy] = useState(false);
  const teamProblem = team === '' || TEAM.test(team) ? undefined : 'Team ids are 1–64 letters, digits, dots, underscores and hyphens.';
  return (
    <form
      class="card form"
      onSubmit={(event) => {
        event.preventDefault();
        setBusy(true);
        let created: AccessKeyCreated | undefined;
        void run(async () => {
          created = await session.admin.createKey({ default_scope: scope, ...(team === '' ? {} : { team_id: team }) });
        }).then(() => {
          setBusy(false);
          if (created !== undefined) onCreated(created);
        });
      }}
    >
      <h2>New API key</h2>
      <label>
        Team (blank: your team, {session.whoami.team_id}; a new team is created)
        <input data-testid="key-team" value={team} autocomplete="off" onInput={(e) => { setTeam(e.currentTarget.value.trim()); }} />
      </label>
      {teamProblem === undefined ? null : <p class="field-error">{teamProblem}</p>}
      <label>
        Default scope on the team's buckets
        <select data-testid="key-default-scope" value={scope} onChange={(e) => { setScope(e.currentTarget.value as Scope); }}>
          {SCOPES.map((s) => (
            <option key={s} value={s}>
              {SCOPE_TEXT[s]}
            </option>
          ))}
        </select>
      </label>
      <p class="muted small">Per-bucket scopes can be set in the list once the key exists. Keys of the root team are administrators.</p>
      <div class="buttons">
        <button type="submit" class="primary" data-testid="key-create" disabled={busy || teamProblem !== undefined}>
          {busy ? 'Creating…' : 'Create key'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function NewSecret({ created, onDismiss }: { readonly created: AccessKeyCreated; readonly onDismiss: () => void }) {
  return (
    <div class="card secret-box" role="region" aria-label="The new key">
      <h2>Key created — copy the secret now</h2>
      <p>The secret is shown this once; the gateway keeps it only encrypted and cannot show it again.</p>
      <dl class="facts">
        <dt>Access key ID</dt>
        <dd>
          <code data-testid="key-access-key">{created.access_key_id}</code>
        </dd>
        <dt>Secret access key</dt>
        <dd>
          <code data-testid="key-secret">{created.secret_access_key}</code>
        </dd>
        <dt>Team</dt>
        <dd>{created.team_id}</dd>
      </dl>
      <div class="buttons">
        <CopyButton text={created.secret_access_key} testId="key-copy" label="Copy secret" />
        <CopyButton text={`AWS_ACCESS_KEY_ID=${created.access_key_id}\nAWS_SECRET_ACCESS_KEY=${created.secret_access_key}\n`} label="Copy both as environment variables" />
        <button type="button" onClick={onDismiss}>
          I have saved it
        </button>
      </div>
    </div>
  );
}

function ScopeCell({ keyInfo, buckets, onChanged }: { readonly keyInfo: AccessKey; readonly buckets: readonly string[]; readonly onChanged: () => void }) {
  const { session, notify } = usePortal();
  const run = useAction();
  if (buckets.length === 0) return <span class="muted">no buckets in team {keyInfo.team_id}</span>;
  return (
    <div class="scopes">
      {buckets.map((bucket) => {
        const own = keyInfo.scopes[bucket];
        return (
          <label key={bucket} class="scope">
            <span>{bucket}</span>
            <select
              data-testid={`key-scope-${keyInfo.access_key_id}-${bucket}`}
              value={own ?? ''}
              disabled={keyInfo.revoked_at !== null}
              onChange={(e) => {
                const value = e.currentTarget.value;
                const scope: Scope | null = value === '' ? null : (value as Scope);
                void run(() => session.admin.updateScopes(keyInfo.access_key_id, { scopes: { [bucket]: scope } })).then((ok) => {
                  if (ok) notify(`${keyInfo.access_key_id} now has ${scope === null ? `the default scope (${keyInfo.default_scope})` : `${scope} access`} on ${bucket}.`);
                  onChanged();
                });
              }}
            >
              <option value="">default ({keyInfo.default_scope})</option>
              {SCOPES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        );
      })}
    </div>
  );
}

export function KeysPage() {
  const { session, notify } = usePortal();
  const run = useAction();
  const keys = useLoad(() => session.admin.keys(), []);
  const buckets = useLoad<Bucket[]>(() => session.admin.buckets(), []);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<AccessKeyCreated | undefined>(undefined);
  const [showRevoked, setShowRevoked] = useState(true);

  const bucketsOf = (k: AccessKey): string[] => {
    const names = new Set((buckets.data ?? []).filter((b) => b.team_id === k.team_id).map((b) => b.name));
    for (const name of Object.keys(k.scopes)) names.add(name);
    return [...names].sort();
  };
  const list = (keys.data ?? []).filter((k) => showRevoked || k.revoked_at === null);

  return (
    <section>
      <PageHeader title="API keys">
        <button
          type="button"
          class="primary"
          data-testid="key-new"
          onClick={() => {
            setCreating(true);
            setCreated(undefined);
          }}
        >
          New key
        </button>
      </PageHeader>
      <p class="muted">
        Keys sign S3 and admin requests (AWS Signature V4). A key sees its team's buckets as its scopes allow: a default scope, overridden per bucket.
      </p>
      {created === undefined ? null : (
        <NewSecret
          created={created}
          onDismiss={() => {
            setCreated(undefined);
          }}
        />
      )}
      {creating ? (
        <CreateKey
          onCancel={() => {
            setCreating(false);
          }}
          onCreated={(k) => {
            setCreating(false);
            setCreated(k);
            keys.reload();
          }}
        />
      ) : null}
      <label class="inline">
        <input
          type="checkbox"
          checked={showRevoked}
          onChange={(e) => {
            setShowRevoked(e.currentTarget.checked);
          }}
        />
        Show revoked keys
      </label>
      {keys.data === undefined ? (
        keys.error === undefined ? <Loading what="keys" /> : <LoadFailed error={keys.error} retry={keys.reload} />
      ) : list.length === 0 ? (
        <Empty>
          <p>No keys to show. Create one with New key.</p>
        </Empty>
      ) : (
        <TableScroll label="API keys">
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Access key ID</th>
                <th scope="col">Team</th>
                <th scope="col">Default scope</th>
                <th scope="col">Per-bucket scopes</th>
                <th scope="col">Created</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((k) => {
                const mine = k.access_key_id === session.credentials.accessKeyId;
                return (
                  <tr key={k.access_key_id} data-testid={`key-row-${k.access_key_id}`} class={k.revoked_at === null ? undefined : 'revoked'}>
                    <td data-label="Key">
                      <code>{k.access_key_id}</code>
                      {mine ? <span class="badge">you</span> : null}
                    </td>
                    <td data-label="Team">{k.team_id}</td>
                    <td data-label="Default scope">{k.default_scope}</td>
                    <td data-label="Buckets">
                      <ScopeCell keyInfo={k} buckets={bucketsOf(k)} onChanged={keys.reload} />
                    </td>
                    <td data-label="Created">{formatTime(k.created_at)}</td>
                    <td data-label="State">{k.revoked_at === null ? 'active' : `revoked ${formatTime(k.revoked_at)}`}</td>
                    <td class="actions">
                      {k.revoked_at === null ? (
                        <button
                          type="button"
                          class="danger"
                          data-testid={`key-revoke-${k.access_key_id}`}
                          title={mine ? 'This is the key you are signed in with: revoking it signs you out' : 'Revoke: S3 and admin requests with this key fail from now on'}
                          onClick={() => {
                            void run(() => session.admin.revokeKey(k.access_key_id)).then((ok) => {
                              if (ok) {
                                notify(`Revoked ${k.access_key_id}.`);
                                if (mine) window.location.reload();
                                else keys.reload();
                              }
                            });
                          }}
                        >
                          Revoke
                        </button>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
