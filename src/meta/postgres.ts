// The shared engine: PostgreSQL through pg, for several gateways on one database.

import pg from 'pg';
import { MetaError } from './errors.ts';
import { POSTGRES } from './migrations.ts';
import { SqlMetadataStore, type Row, type SqlDriver, type SqlExecutor, type SqlValue, type StoreOptions } from './sql.ts';

export interface PostgresOptions extends StoreOptions {
  /** e.g. postgresql://user:pass@host:5432/dispersa */
  readonly connectionString: string;
  /** Connections per gateway. */
  readonly poolSize?: number;
  readonly connectTimeoutMs?: number;
}

/** Transactions that lost a race the database detected; running them again is the documented remedy. */
const RETRYABLE = new Set(['40001', '40P01']);
const ATTEMPTS = 5;
/** Any constant works: it only has to be the same for every gateway migrating this database. */
const MIGRATION_LOCK_KEY = 0x64697370; // 'disp'

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Connection failures and a server going away, as opposed to an error in a statement. */
function isUnavailable(error: unknown): boolean {
  const code = sqlState(error);
  if (code === undefined) return error instanceof Error && /timeout|terminated|Connection|connect/i.test(error.message);
  // 08: connection exception, 53: insufficient resources, 57P: operator intervention (shutdown), 3D000: no database.
  return /^(08|53|57P)/.test(code) || code === '3D000' || /^E[A-Z]+$/.test(code);
}

function translate(error: unknown): unknown {
  if (error instanceof MetaError) return error;
  if (isUnavailable(error)) return new MetaError('unavailable', `metadata database unavailable: ${(error as Error).message}`, { cause: error });
  return error;
}

/** `?` placeholders (the shared SQL) → `$1, $2, ...`; the shared SQL has no `?` inside literals. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function values(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
}

function executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    all: async (sql, params = []) => (await client.query(numbered(sql), values(params))).rows as Row[],
    run: async (sql, params = []) => (await client.query(numbered(sql), values(params))).rowCount ?? 0,
  };
}

class PostgresDriver implements SqlDriver {
  readonly dialect = POSTGRES;
  readonly direct: SqlExecutor;
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
    const plain = executor(pool);
    this.direct = {
      all: async (sql, params) => {
        try {
          return await plain.all(sql, params);
        } catch (error) {
          throw translate(error);
        }
      },
      run: async (sql, params) => {
        try {
          return await plain.run(sql, params);
        } catch (error) {
          throw translate(error);
        }
      },
    };
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (error) {
        throw translate(error);
      }
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(executor(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch {
          // A connection that cannot even roll back is dropped from the pool below.
          broken = true;
        }
        if (attempt < ATTEMPTS && RETRYABLE.has(sqlState(error) ?? '')) continue;
        throw translate(error);
      } finally {
        client.release(broken);
      }
    }
  }

  async lockMigrations(tx: SqlExecutor): Promise<void> {
    // Held to the end of the migration's transaction: gateways starting together migrate one after another.
    await tx.all('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
  }

  async lockTable(tx: SqlExecutor, table: string): Promise<void> {
    // EXCLUSIVE waits out, and holds off, every other writer of the table on any gateway; plain reads go on.
    await tx.run(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** Connects to and migrates a PostgreSQL metadata store. */
export async function openPostgresMetadata(options: PostgresOptions): Promise<SqlMetadataStore> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // An idle connection the server closed is dropped by the pool; without a listener the event would kill the process.
  pool.on('error', () => undefined);
  const driver = new PostgresDriver(pool);
  const store = new SqlMetadataStore(driver, options);
  try {
    // COLLATE "C" is byte order only over UTF-8; any other server encoding would list keys in another order.
    const [row] = await driver.direct.all('SHOW server_encoding');
    const encoding = row?.server_encoding;
    if (encoding !== 'UTF8') throw new MetaError('unavailable', `the metadata database must use UTF8 encoding, not ${String(encoding)}`);
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
