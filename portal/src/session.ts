// The signed-in key, kept in sessionStorage only (gone when the tab closes; never in localStorage or a cookie).

import type { Credentials } from './sigv4.ts';

const STORAGE_KEY = 'dispersa.portal.credentials';

export function loadCredentials(): Credentials | undefined {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (raw === null) return undefined;
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { accessKeyId, secretAccessKey } = parsed as { accessKeyId?: unknown; secretAccessKey?: unknown };
    if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string') return undefined;
    return { accessKeyId, secretAccessKey };
  } catch {
    return undefined;
  }
}

export function saveCredentials(credentials: Credentials): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey }));
}

export function clearCredentials(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
