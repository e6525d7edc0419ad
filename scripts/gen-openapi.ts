// Writes docs/openapi.json from the admin API's route table and schemas (`npm run gen:openapi`); tests check it is fresh.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument } from '../src/admin/openapi.ts';

const root = new URL('..', import.meta.url);

/** The committed document: pretty-printed, with a trailing newline. */
export function openApiText(): string {
  const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
  return `${JSON.stringify(buildOpenApiDocument(version), null, 2)}\n`;
}

export const OPENAPI_PATH = fileURLToPath(new URL('docs/openapi.json', root));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(OPENAPI_PATH, openApiText());
  console.log(`wrote ${OPENAPI_PATH}`);
}
