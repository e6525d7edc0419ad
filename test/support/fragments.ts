// Test helper: every fragment file a gateway keeps under <data dir>/locations (temporary files left out).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function fragmentFiles(dataDir: string): string[] {
  return readdirSync(join(dataDir, 'locations'), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name));
}
