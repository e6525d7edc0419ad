// Runs the metadata contract against SQLite (a temp file) and a throwaway PostgreSQL cluster, plus engine specifics.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MetaError, openMetadata, openPostgresMetadata, openSqliteMetadata } from '../../src/meta/index.ts';
import { POSTGRES, SQLITE } from '../../src/meta/migrations.ts';
import type { Row, SqlValue } from '../../src/meta/sql.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';
import { isMetaError, metaContract } from './contract.ts';

let scratch = '';
let postgres: TestPostgres | undefined;
let postgresError: unknown;
let files = 0;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'dispersa-meta-'));
  // Never skipped: without PostgreSQL every postgres test fails with the reason (what to install); SQLite still runs.
  postgres = await startPostgres().catch((error: unknown) => {
    postgresError = error;
    return undefined;
  });
});

after(async () => {
  await postgres?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** better-sqlite3 objects are never left to the garbage collector (see neverCollected in src/meta/sqlite.ts). */
const keptAlive = new Set<object>();

function sqliteRaw(path: string, sql: string, params: readonly SqlValue[]): Row[] {
  const db = new Database(path);
  keptAlive.add(db);
  try {
    const statement = db.prepare(sql);
    keptAlive.add(statement);
    const bound = params.map((p) => (p instanceof Uint8Array ? Buffer.from(p) : p));
    if (statement.reader) return statement.all(...bound) as Row[];
    statement.run(...bound);
    return [];
  } finally {
    db.close();
  }
}

async function postgresRaw(connectionString: string, sql: string, params: readonly SqlValue[]): Promise<Row[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    let n = 0;
    return (await client.query(sql.replace(/\?/g, () => `$${++n}`), [...params])).rows as Row[];
  } finally {
    await client.end();
  }
}

function server(): TestPostgres {
  if (postgres === undefined) throw new Error('the PostgreSQL test cluster did not start', { cause: postgresError });
  return postgres;
}

it('has a real PostgreSQL to test against', () => {
  assert.equal(postgresError, undefined, String(postgresError));
  assert.ok(postgres !== undefined, 'the PostgreSQL test cluster must start; the postgres engine is never tested against nothing');
});

metaContract('sqlite', () => {
  const path = join(scratch, `meta-${++files}.sqlite`);
  return Promise.resolve({
    open: (options) => openSqliteMetadata({ path, ...options }),
    dialect: SQLITE,
    raw: (sql, params = []) => Promise.resolve(sqliteRaw(path, sql, params)),
    drop: async () => {
      for (const suffix of ['', '-wal', '-shm']) await rm(path + suffix, { force: true });
    },
  });
});

metaContract('postgres', async () => {
  const connectionString = await server().createDatabase();
  return {
    open: (options) => openPostgresMetadata({ connectionString, poolSize: 4, ...options }),
    dialect: POSTGRES,
    raw: (sql, params = []) => postgresRaw(connectionString, sql, params),
    drop: async () => {
      const client = new pg.Client({ connectionString: server().connectionString });
      await client.connect();
      try {
        await client.query(`DROP DATABASE ${new URL(connectionString).pathname.slice(1)}`);
      } finally {
        await client.end();
      }
    },
  };
});

describe('engine specifics', () => {
  it('sqlite: a file database uses WAL and survives reopening', async () => {
    const path = join(scratch, 'reopen.sqlite');
    const first = await openMetadata({ engine: 'sqlite', path });
    await first.createTeam({ id: 't', name: 'n' });
    await first.close();
    assert.ok((await stat(path)).size > 0);
    const second = await openMetadata({ engine: 'sqlite', path });
    assert.equal(second.engine, 'sqlite');
    assert.equal(await second.migrate(), 0);
    assert.equal((await second.getTeam('t'))?.name, 'n');
    await second.close();
    await assert.rejects(second.getTeam('t'), isMetaError('unavailable'));
  });

  it('sqlite: a shredded bucket’s wrapped key is not left in the database file', async () => {
    const path = join(scratch, 'shred.sqlite');
    const kek = randomBytes(48);
    const store = await openSqliteMetadata({ path });
    await store.createTeam({ id: 't', name: 'n' });
    await store.putPolicy('p', {});
    await store.createBucket({ name: 'gone', teamId: 't', policyName: 'p', policyVersion: 1, wrappedKek: kek });
    await store.createBucket({ name: 'kept', teamId: 't', policyName: 'p', policyVersion: 1, wrappedKek: randomBytes(48) });
    await store.shredBucket('gone');
    // Closing checkpoints the WAL (which held the page as it was) into the file: what is left is what a copy would hold.
    await store.close();
    for (const file of [path, `${path}-wal`]) {
      const bytes = await readFile(file).catch(() => Buffer.alloc(0));
      assert.equal(bytes.includes(kek), false, `${file} still holds the key`);
    }
  });

  it('sqlite: an in-memory database works too', async () => {
    const store = await openMetadata({ engine: 'sqlite', path: ':memory:' });
    await store.createTeam({ id: 't', name: 'n' });
    assert.equal((await store.listTeams()).length, 1);
    await store.close();
  });

  it('sqlite: a path that cannot be opened is `unavailable`', async () => {
    await assert.rejects(openSqliteMetadata({ path: join(scratch, 'missing-dir', 'x.sqlite') }), isMetaError('unavailable'));
  });

  it('postgres: an unreachable server is `unavailable`', async () => {
    const error = await openPostgresMetadata({ connectionString: 'postgresql://nobody@127.0.0.1:1/none', connectTimeoutMs: 2000 }).catch((e: unknown) => e);
    assert.ok(error instanceof MetaError && error.kind === 'unavailable', String(error));
  });

  it('postgres: listing order does not depend on the database collation (the test cluster’s default is ICU English)', async () => {
    const client = new pg.Client({ connectionString: server().connectionString });
    await client.connect();
    try {
      const { rows } = await client.query<{ x: string }>("SELECT x FROM (VALUES ('a/b'), ('B'), ('a-b')) v(x) ORDER BY x");
      // If this fails the cluster sorts bytewise and the contract's listing tests prove nothing about COLLATE "C".
      assert.notDeepEqual(rows.map((r) => r.x), ['B', 'a-b', 'a/b']);
    } finally {
      await client.end();
    }
  });
});
