// The key vault and key custody: bucket keys apart from metadata, destroyed for good by crypto-shredding.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KeyCustody } from '../../src/objects/custody.ts';
import { isVaultReference, KeyVault, VaultError, VAULT_REFERENCE_LENGTH } from '../../src/objects/key-vault.ts';

const root = mkdtempSync(join(tmpdir(), 'dispersa-vault-'));
after(() => { rmSync(root, { recursive: true, force: true }); });
const master = new Uint8Array(randomBytes(32));

describe('key vault', () => {
  it('keeps a wrapped key in a 0600 file and hands out a 21-byte reference', () => {
    const vault = new KeyVault(join(root, 'a'));
    const wrapped = new Uint8Array(randomBytes(61));
    const ref = vault.put(wrapped);
    assert.equal(ref.length, VAULT_REFERENCE_LENGTH);
    assert.ok(isVaultReference(ref));
    const files = readdirSync(vault.dir);
    assert.equal(files.length, 1);
    assert.equal(statSync(join(vault.dir, files[0] ?? '')).mode & 0o777, 0o600);
    assert.deepEqual(new KeyVault(vault.dir).get(ref), wrapped, 'a fresh vault over the same directory reads it');
  });

  it('destroying overwrites the key with zeros before unlinking it, and is idempotent', () => {
    const vault = new KeyVault(join(root, 'b'));
    const ref = vault.put(new Uint8Array(randomBytes(61)).fill(0xab, 0, 1));
    const [file] = readdirSync(vault.dir);
    // A second name for the same inode shows what the destroyed file's blocks hold afterwards.
    const witness = join(root, 'witness');
    linkSync(join(vault.dir, file ?? ''), witness);
    vault.destroy(ref);
    assert.deepEqual(readdirSync(vault.dir), []);
    assert.ok(readFileSync(witness).every((b) => b === 0), 'the key bytes were overwritten');
    assert.throws(() => vault.get(ref), (e: unknown) => e instanceof VaultError && e.kind === 'destroyed');
    assert.throws(() => new KeyVault(vault.dir).get(ref), (e: unknown) => e instanceof VaultError && e.kind === 'destroyed');
    vault.destroy(ref);
  });
});

describe('key custody', () => {
  it('with a vault, a bucket key unwraps until it is destroyed, then never again', () => {
    const custody = new KeyCustody(master, new KeyVault(join(root, 'c')));
    const { kek, wrapped } = custody.newBucketKey('photos');
    assert.ok(isVaultReference(wrapped), 'metadata keeps only a reference');
    assert.deepEqual(custody.bucketKey('photos', wrapped), kek);
    assert.throws(() => custody.bucketKey('other-bucket', wrapped), 'bound to its bucket');
    assert.equal(custody.destroyBucketKey(wrapped), true);
    assert.throws(() => custody.bucketKey('photos', wrapped), (e: unknown) => e instanceof VaultError && e.kind === 'destroyed');
    const restarted = new KeyCustody(master, new KeyVault(join(root, 'c')));
    assert.throws(() => restarted.bucketKey('photos', wrapped), (e: unknown) => e instanceof VaultError);
  });

  it('reads bucket keys stored inline by gateways without a vault', () => {
    const legacy = new KeyCustody(master).newBucketKey('old');
    assert.equal(legacy.wrapped.length, 61);
    const custody = new KeyCustody(master, new KeyVault(join(root, 'd')));
    assert.deepEqual(custody.bucketKey('old', legacy.wrapped), legacy.kek);
    assert.equal(custody.destroyBucketKey(legacy.wrapped), false);
  });

  it('seals secrets of any length, bound to their context', () => {
    const custody = new KeyCustody(master);
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const sealed = custody.wrapSecret('location/eu-1', secret);
    assert.ok(!Buffer.from(sealed).includes(Buffer.from(secret)), 'not in the clear');
    assert.equal(custody.unwrapSecret('location/eu-1', sealed), secret);
    assert.throws(() => custody.unwrapSecret('location/eu-2', sealed));
    const tampered = new Uint8Array(sealed);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    assert.throws(() => custody.unwrapSecret('location/eu-1', tampered));
    assert.throws(() => new KeyCustody(new Uint8Array(randomBytes(32))).unwrapSecret('location/eu-1', sealed));
  });
});
