// The fragment stores in one place, and the factory that builds one from a location's configuration.

import { FsStore } from './fs.ts';
import { MemoryStore } from './memory.ts';
import { S3Store, type S3StoreOptions } from './s3.ts';
import type { FragmentStore } from './types.ts';

export * from './types.ts';
export { FaultyStore, type Fault, type FaultyStoreOptions, type Latency, type StoreOperation } from './faulty.ts';
export { FsStore, type FsStoreOptions } from './fs.ts';
export { MemoryStore } from './memory.ts';
export { S3Store, type S3StoreOptions } from './s3.ts';

export type StoreConfig =
  | { readonly kind: 'memory' }
  | { readonly kind: 'fs'; readonly dir: string }
  | ({ readonly kind: 's3' } & S3StoreOptions);

/** Builds the store a configuration describes; no I/O happens until the first operation. */
export function createStore(config: StoreConfig): FragmentStore {
  switch (config.kind) {
    case 'memory':
      return new MemoryStore();
    case 'fs':
      return new FsStore({ dir: config.dir });
    case 's3': {
      const { kind: _kind, ...options } = config;
      return new S3Store(options);
    }
    default: {
      const unknown: never = config;
      throw new TypeError(`unknown store kind in ${JSON.stringify(unknown)}`);
    }
  }
}
