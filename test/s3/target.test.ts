// Request targets: path-style always, virtual-host style when a base domain is configured.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseTarget } from '../../src/s3/operations.ts';

it('reads bucket and key from the path, or from the Host under the base domain', () => {
  const path = parseTarget('/photos/a%20b/c%2Bd', 'list-type=2', '127.0.0.1:9000', 's3.example.test');
  assert.deepEqual({ bucket: path.bucket, key: path.key }, { bucket: 'photos', key: 'a b/c+d' });
  const vhost = parseTarget('/a%20b/c', '', 'photos.s3.example.test:9000', 's3.example.test');
  assert.deepEqual({ bucket: vhost.bucket, key: vhost.key }, { bucket: 'photos', key: 'a b/c' });
  const service = parseTarget('/', '', 's3.example.test', 's3.example.test');
  assert.deepEqual({ bucket: service.bucket, key: service.key }, { bucket: undefined, key: undefined });
  const noDomain = parseTarget('/photos.s3.example.test/x', '', 'photos.s3.example.test', undefined);
  assert.equal(noDomain.bucket, 'photos.s3.example.test', 'without a base domain the Host is ignored');
});
