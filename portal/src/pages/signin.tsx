// Sign in with an access key and its secret; the key is checked (whoami) before it is kept for the session.

import { useState } from 'preact/hooks';
import type { Credentials } from '../sigv4.ts';

export function SignIn({ onSignIn }: { readonly onSignIn: (credentials: Credentials) => Promise<void> }) {
  const [accessKeyId, setAccessKeyId] = useState('');
  const [secretAccessKey, setSecretAccessKey] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="card signin-card"
      onSubmit={(event) => {
        event.preventDefault();
        setBusy(true);
        void onSignIn({ accessKeyId: accessKeyId.trim(), secretAccessKey }).finally(() => {
          setBusy(false);
        });
      }}
    >
      <h1>Dispersa</h1>
      <p class="muted">Sign in with an access key of this gateway (the root keys <code>npm start</code> printed, or a key an administrator created for you).</p>
      <label>
        Access key ID
        <input data-testid="signin-access-key" name="access-key" autocomplete="username" required value={accessKeyId} onInput={(e) => { setAccessKeyId(e.currentTarget.value); }} />
      </label>
      <label>
        Secret access key
        <input
          data-testid="signin-secret-key"
          name="secret-key"
          type="password"
          autocomplete="current-password"
          required
          value={secretAccessKey}
          onInput={(e) => {
            setSecretAccessKey(e.currentTarget.value);
          }}
        />
      </label>
      <button type="submit" class="primary" data-testid="signin-submit" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      <p class="muted small">The secret stays in this browser tab's session storage and signs each request (AWS Signature V4); it is never sent. Signing out forgets it.</p>
    </form>
  );
}
