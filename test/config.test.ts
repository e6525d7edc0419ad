// Settings of `dispersa serve`: defaults, config file, environment and flags, in that order of precedence.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, resolveServeSettings } from '../src/config.ts';

const files: Record<string, string> = {
  'good.json': JSON.stringify({ dataDir: '/srv/dispersa', port: 9300, domain: 's3.example.test', staleWriteSeconds: 30 }),
  'typo.json': JSON.stringify({ dataDirectory: '/x' }),
  'bad-port.json': JSON.stringify({ port: 70000 }),
  'broken.json': '{ "port": ',
  'admin.json': JSON.stringify({ adminPort: 9401, probeIntervalSeconds: 0, cache: { enabled: true, max_size_bytes: 1048576 } }),
  'bad-cache.json': JSON.stringify({ cache: 'on' }),
};
const read = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file ${path}`);
  return text;
};

describe('serve settings', () => {
  it('default to the embedded gateway on 127.0.0.1:9000 with ./data', () => {
    assert.deepEqual(resolveServeSettings([], {}, read), { dataDir: './data', host: '127.0.0.1', port: 9000, domain: undefined, postgresUrl: undefined, keyVaultDir: undefined, staleWriteSeconds: 600, adminPort: 9001, probeIntervalSeconds: 600, cache: undefined });
  });

  it('take the config file, then the environment, then the flags', () => {
    const fromFile = resolveServeSettings(['--config', 'good.json'], {}, read);
    assert.deepEqual(fromFile, { dataDir: '/srv/dispersa', host: '127.0.0.1', port: 9300, domain: 's3.example.test', postgresUrl: undefined, keyVaultDir: undefined, staleWriteSeconds: 30, adminPort: 9001, probeIntervalSeconds: 600, cache: undefined });
    const env = { DISPERSA_CONFIG: 'good.json', DISPERSA_PORT: '9400', DISPERSA_POSTGRES_URL: 'postgresql://db/dispersa' };
    assert.equal(resolveServeSettings([], env, read).port, 9400);
    assert.equal(resolveServeSettings([], env, read).postgresUrl, 'postgresql://db/dispersa');
    assert.equal(resolveServeSettings(['--port', '9500', '--data-dir', '/tmp/d'], env, read).port, 9500);
    assert.equal(resolveServeSettings(['--port', '9500', '--data-dir', '/tmp/d'], env, read).dataDir, '/tmp/d');
  });

  it('refuse bad values with a message naming their source', () => {
    const refuses = (args: string[], env: Record<string, string>, pattern: RegExp): void => {
      assert.throws(() => resolveServeSettings(args, env, read), (e: unknown) => e instanceof ConfigError && pattern.test(e.message));
    };
    refuses(['--port', 'eighty'], {}, /--port: port must be an integer/);
    refuses([], { DISPERSA_PORT: '-1' }, /DISPERSA_PORT: port must be an integer/);
    refuses([], { DISPERSA_STALE_WRITE_SECONDS: 'soon' }, /DISPERSA_STALE_WRITE_SECONDS/);
    refuses(['--config', 'typo.json'], {}, /unknown setting "dataDirectory"/);
    refuses(['--config', 'bad-port.json'], {}, /config file bad-port.json: port/);
    refuses(['--config', 'broken.json'], {}, /config file broken.json/);
    refuses(['--config', 'missing.json'], {}, /config file missing.json: ENOENT/);
    refuses(['--colour', 'blue'], {}, /colour/);
    refuses(['--config', 'bad-cache.json'], {}, /cache must be an object/);
    refuses([], { DISPERSA_ADMIN_PORT: '99999' }, /DISPERSA_ADMIN_PORT: port must be an integer/);
  });

  it('take the admin port, the probe interval and the cache settings (file only) like the rest', () => {
    const settings = resolveServeSettings(['--config', 'admin.json'], {}, read);
    assert.equal(settings.adminPort, 9401);
    assert.equal(settings.probeIntervalSeconds, 0);
    assert.deepEqual(settings.cache, { enabled: true, max_size_bytes: 1048576 });
    assert.equal(resolveServeSettings(['--config', 'admin.json', '--admin-port', '0'], { DISPERSA_ADMIN_PORT: '9500' }, read).adminPort, 0);
    assert.equal(resolveServeSettings([], { DISPERSA_PROBE_INTERVAL_SECONDS: '30' }, read).probeIntervalSeconds, 30);
  });
});
