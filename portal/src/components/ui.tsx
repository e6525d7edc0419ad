// Small shared pieces: loading and empty states, a copy button, a page header.

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export function PageHeader({ title, children }: { readonly title: string; readonly children?: ComponentChildren }) {
  return (
    <div class="page-header">
      <h1>{title}</h1>
      {children === undefined ? null : <div class="page-actions">{children}</div>}
    </div>
  );
}

export function Loading({ what }: { readonly what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

/** Shown where data could not be loaded (the banner has the same message). */
export function LoadFailed({ error, retry }: { readonly error: string; readonly retry: () => void }) {
  return (
    <div class="load-failed">
      <p>Could not load: {error}</p>
      <button type="button" onClick={retry}>
        Try again
      </button>
    </div>
  );
}

export function Empty({ children }: { readonly children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

/** Copies text to the clipboard; falls back to selecting a hidden textarea where the Clipboard API is refused. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the only fallback where navigator.clipboard is refused
    const ok = document.execCommand('copy');
    area.remove();
    if (!ok) throw new Error('Copying was refused by the browser: select the text and copy it by hand.');
  }
}

export function CopyButton({ text, testId, label = 'Copy' }: { readonly text: string; readonly testId?: string; readonly label?: string }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  return (
    <button
      type="button"
      data-testid={testId}
      onClick={() => {
        copyText(text).then(
          () => {
            setCopied('yes');
          },
          () => {
            setCopied('failed');
          },
        );
      }}
    >
      {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Copy failed: select and copy' : label}
    </button>
  );
}

/** A horizontally scrollable table wrapper, so wide tables work at phone width. */
export function TableScroll({ children, label }: { readonly children: ComponentChildren; readonly label: string }) {
  return (
    <div class="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
