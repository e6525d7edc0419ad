// The metadata layer's public surface: open an engine by configuration, then use the MetadataStore interface.

import type { MetadataStore } from './types.ts';
import { openPostgresMetadata, type PostgresOptions } from './postgres.ts';
import { openSqliteMetadata, type SqliteOptions } from './sqlite.ts';

export * from './types.ts';
export { MetaError, isMetaError, type MetaErrorKind } from './errors.ts';
export { compareKeys, prefixEnd } from './keys.ts';
export { MIGRATIONS } from './migrations.ts';
export { openPostgresMetadata, type PostgresOptions } from './postgres.ts';
export { openSqliteMetadata, type SqliteOptions } from './sqlite.ts';

export type MetadataConfig = ({ readonly engine: 'sqlite' } & SqliteOptions) | ({ readonly engine: 'postgres' } & PostgresOptions);

/** Opens the configured engine with its schema migrated to the current version. */
export async function openMetadata(config: MetadataConfig): Promise<MetadataStore> {
  switch (config.engine) {
    case 'sqlite':
      return openSqliteMetadata(config);
    case 'postgres':
      return openPostgresMetadata(config);
    default: {
      const unknown: never = config;
      throw new Error(`unknown metadata engine ${JSON.stringify(unknown)}`);
    }
  }
}
