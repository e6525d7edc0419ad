// The embedded engine: SQLite through better-sqlite3, one connection per process, WAL journal.

import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { MetaError } from './errors.ts';
import { SQLITE } from './migrations.ts';
import { SqlMetadataStore, type Row, type SqlDriver, type SqlExecutor, type SqlValue, type StoreOptions } from './sql.ts';

export interface SqliteOptions extends StoreOptions {
  /** A database file (created if missing) or ':memory:'. */
  readonly path: string;
  /** How long a write waits for another process holding the file's write lock. */
  readonly busyTimeoutMs?: number;
}

/** Errors that say the database cannot be used right now, as opposed to a bug in a statement. */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY|CORRUPT|NOTADB|PROTOCOL)/;

function translate(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE.test(code)) {
    return new MetaError('unavailable', `metadata database unavailable: ${(error as Error).message}`, { cause: error });
  }
  return error;
}

function bind(params: readonly SqlValue[]): unknown[] {
  // better-sqlite3 binds Buffers as BLOBs, but not other Uint8Array views.
  return params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
}

/**
 * One queue per database file in this process. The store is async and a connection is shared, so without a queue a
 * statement of one call could land inside another call's open transaction. Two connections to the same file in one
 * process share the queue too: SQLite's busy wait blocks the thread, so one of them waiting for the other's lock
 * (held across an await) would wait for a transaction that can never finish.
 */
class Queue {
  #tail: Promise<void> = Promise.resolve();
  users = 0;

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

const queues = new Map<string, Queue>();

function isMemory(path: string): boolean {
  // Each in-memory connection is a database of its own: nothing to share.
  return path === ':memory:' || path === '';
}

function queueFor(path: string): Queue {
  if (isMemory(path)) return new Queue();
  let queue = queues.get(resolve(path));
  if (queue === undefined) {
    queue = new Queue();
    queues.set(resolve(path), queue);
  }
  queue.users++;
  return queue;
}

function releaseQueue(path: string, queue: Queue): void {
  if (--queue.users <= 0 && !isMemory(path)) queues.delete(resolve(path));
}

/**
 * Every better-sqlite3 Database and Statement this process created, kept reachable for its whole life. On Node 24
 * the addon's destructors (run when the garbage collector frees one of them) call into Node outside any context and
 * abort the process ("Assertion failed: (env) != nullptr" in RemoveEnvironmentCleanupHook). Objects that are never
 * collected never run that code; closed databases and their statements cost a few hundred bytes each.
 */
const neverCollected = new Set<object>();

class SqliteDriver implements SqlDriver {
  readonly dialect = SQLITE;
  readonly direct: SqlExecutor;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #executor: SqlExecutor;
  readonly #path: string;
  readonly #queue: Queue;

  constructor(db: Database.Database, path: string) {
    this.#db = db;
    this.#path = path;
    this.#queue = queueFor(path);
    this.#executor = {
      all: (sql, params = []) => Promise.resolve(this.#prepare(sql).all(...bind(params)) as Row[]),
      run: (sql, params = []) => Promise.resolve(this.#prepare(sql).run(...bind(params)).changes),
    };
    this.direct = {
      all: (sql, params) => this.#serialize(() => this.#executor.all(sql, params)),
      run: (sql, params) => this.#serialize(() => this.#executor.run(sql, params)),
    };
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#serialize(async () => {
      // IMMEDIATE takes the write lock up front: another process on the same file waits (busy_timeout) instead of
      // failing half-way when its read lock cannot be upgraded.
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.#executor);
        this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  lockMigrations(): Promise<void> {
    // BEGIN IMMEDIATE already excludes every other writer of the file.
    return Promise.resolve();
  }

  lockTable(): Promise<void> {
    // The same: the queue serialises this process's transactions, BEGIN IMMEDIATE those of other processes.
    return Promise.resolve();
  }

  close(): Promise<void> {
    return this.#serialize(() => {
      if (this.#db.open) {
        this.#db.close();
        releaseQueue(this.#path, this.#queue);
      }
      return Promise.resolve();
    });
  }

  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
      neverCollected.add(statement);
    }
    return statement;
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(async () => {
      if (!this.#db.open) throw new MetaError('unavailable', 'the metadata store is closed');
      try {
        return await fn();
      } catch (error) {
        throw translate(error);
      }
    });
  }
}

/** Opens (creating if needed) and migrates an SQLite metadata store. */
export async function openSqliteMetadata(options: SqliteOptions): Promise<SqlMetadataStore> {
  let db: Database.Database;
  try {
    db = new Database(options.path);
    neverCollected.add(db);
  } catch (error) {
    throw new MetaError('unavailable', `cannot open the metadata database ${options.path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    // WAL: readers never block the writer. FULL: a commit the gateway acknowledged survives a power cut too.
    // exec, not pragma(): no Statement object to be collected (see neverCollected).
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA foreign_keys = ON');
    // Deleted content is overwritten with zeros, so a deleted row (a shredded bucket's wrapped key above all) does not
    // linger in the file's free space. Older page images in the WAL are overwritten as it is checkpointed and reused; the key vault
    // is what makes shredding final whatever copies of this file exist.
    db.exec('PRAGMA secure_delete = ON');
  } catch (error) {
    db.close();
    throw translate(error);
  }
  const store = new SqlMetadataStore(new SqliteDriver(db, options.path), options);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
