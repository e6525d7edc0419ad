// The public policy document: every rule with its precise message, the defaults, dispersal, and the legacy stored shape.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateDispersalPolicy } from '../../src/dispersal/placement.ts';
import {
  checkPolicyLocations,
  dispersalPolicyOfStored,
  isLegacyPolicyDocument,
  isPolicyDocument,
  parsePolicyDocument,
  readStoredPolicyDocument,
  toDispersalPolicy,
  type FieldError,
  type KnownLocation,
  type PolicyDocument,
} from '../../src/objects/policy-document.ts';

const base = { backends: ['local-1', 'local-2'], edge_devices: ['edge-1'], redundancy: { scheme: 'RLNC', redundant_packets: 1 } };

function parsed(json: unknown): PolicyDocument {
  const result = parsePolicyDocument(json);
  if (!result.ok) throw new Error(`expected a valid document, got ${JSON.stringify(result.errors)}`);
  return result.document;
}

function errorsOf(json: unknown): readonly FieldError[] {
  const result = parsePolicyDocument(json);
  if (result.ok) throw new Error('expected the document to be refused');
  return result.errors;
}

/** The first error, as `path message`, the way the API's `detail` says it. */
function firstError(json: unknown): string {
  const first = errorsOf(json)[0];
  assert.ok(first !== undefined);
  return `${first.path} ${first.message}`;
}

describe('policy document: defaults', () => {
  it('fills in every default from the SERRANO minimum', () => {
    assert.deepEqual(parsed({ name: 'p', description: 'three', ...base }), {
      description: 'three',
      backends: ['local-1', 'local-2'],
      edge_devices: ['edge-1'],
      redundancy: { scheme: 'RLNC', data_packets: 2, redundant_packets: 1, systematic: false },
      compression: { scheme: 'DEFLATE', level: 6 },
      encryption: { scheme: 'AES', key_size: 256, mode: 'GCM' },
      generation_size: 4194304,
      write_quorum: 3,
      coefficients: 'inline',
    });
  });

  it('reads numeric location ids as their decimal string (SERRANO ids)', () => {
    const doc = parsed({ backends: [144, 145], edge_devices: [1], redundancy: { redundant_packets: 1 } });
    assert.deepEqual([doc.backends, doc.edge_devices], [['144', '145'], ['1']]);
  });

  it('takes the compression level default of its scheme', () => {
    assert.deepEqual(parsed({ ...base, compression: { scheme: 'BROTLI' } }).compression, { scheme: 'BROTLI', level: 1 });
    assert.deepEqual(parsed({ ...base, compression: { scheme: 'NONE' } }).compression, { scheme: 'NONE', level: 0 });
  });

  it('keeps explicit values', () => {
    const doc = parsed({ ...base, backends: ['a', 'b', 'c'], redundancy: { data_packets: 2, redundant_packets: 1, systematic: true }, generation_size: 1024, write_quorum: 2, coefficients: 'metadata', compression: { scheme: 'DEFLATE', level: 9 } });
    assert.deepEqual(doc.redundancy, { scheme: 'RLNC', data_packets: 2, redundant_packets: 1, systematic: true });
    assert.equal(doc.write_quorum, 2);
    assert.equal(doc.generation_size, 1024);
    assert.equal(doc.coefficients, 'metadata');
  });
});

describe('policy document: every rule, with its message', () => {
  const cases: [string, unknown, string][] = [
    ['k >= 1', { ...base, redundancy: { data_packets: 0, redundant_packets: 1 } }, 'redundancy.data_packets must be an integer in [1, 64], got 0'],
    ['r >= 0', { ...base, redundancy: { redundant_packets: -1 } }, 'redundancy.redundant_packets must be an integer in [0, 63], got -1'],
    ['r an integer', { ...base, redundancy: { redundant_packets: 1.5 } }, 'redundancy.redundant_packets must be an integer in [0, 63], got 1.5'],
    ['r required', { ...base, redundancy: {} }, 'redundancy.redundant_packets must be an integer in [0, 63], got nothing'],
    ['n <= listed', { ...base, redundancy: { data_packets: 3, redundant_packets: 1 } }, 'redundancy needs n = k + r = 3 + 1 = 4 locations, but 3 are listed'],
    ['default k leaves a data packet', { ...base, redundancy: { redundant_packets: 3 } }, 'redundancy.redundant_packets must be less than the number of listed locations (3), got 3'],
    ['at least one location', { redundancy: { redundant_packets: 0 } }, 'backends must list at least one location (in backends or edge_devices)'],
    ['listed once', { ...base, edge_devices: ['local-1'] }, 'edge_devices.0 location "local-1" is listed twice'],
    ['scheme RLNC', { ...base, redundancy: { scheme: 'RS', redundant_packets: 1 } }, 'redundancy.scheme must be "RLNC", got "RS"'],
    ['compression scheme', { ...base, compression: { scheme: 'LZ4' } }, 'compression.scheme must be one of "NONE", "DEFLATE", "BROTLI", got "LZ4"'],
    ['deflate level', { ...base, compression: { scheme: 'DEFLATE', level: 10 } }, 'compression.level must be an integer in [0, 9] for DEFLATE, got 10'],
    ['brotli level', { ...base, compression: { scheme: 'BROTLI', level: 12 } }, 'compression.level must be an integer in [0, 11], got 12'],
    ['none level', { ...base, compression: { scheme: 'NONE', level: 1 } }, 'compression.level must be an integer in [0, 0] for NONE, got 1'],
    ['encryption scheme', { ...base, encryption: { scheme: 'DES' } }, 'encryption.scheme must be "AES" (AES-256-GCM is the only encryption offered), got "DES"'],
    ['encryption key size', { ...base, encryption: { key_size: 128 } }, 'encryption.key_size must be 256 (AES-256-GCM is the only encryption offered), got 128'],
    ['encryption mode', { ...base, encryption: { mode: 'CBC' } }, 'encryption.mode must be "GCM" (AES-256-GCM is the only encryption offered), got "CBC"'],
    ['generation size low', { ...base, generation_size: 1023 }, 'generation_size must be an integer in [1024, 67108864], got 1023'],
    ['generation size high', { ...base, generation_size: 67108865 }, 'generation_size must be an integer in [1024, 67108864], got 67108865'],
    ['write quorum above n', { ...base, write_quorum: 4 }, 'write_quorum must be in [k, n] = [2, 3], got 4'],
    ['write quorum below k', { ...base, write_quorum: 1 }, 'write_quorum must be in [k, n] = [2, 3], got 1'],
    ['coefficients', { ...base, coefficients: 'aside' }, 'coefficients must be one of "inline", "metadata", got "aside"'],
    ['unknown field', { ...base, replicas: 3 }, 'replicas is not a known field'],
    ['unknown nested field', { ...base, redundancy: { redundant_packets: 1, extra: true } }, 'redundancy.extra is not a known field'],
    ['location id shape', { ...base, backends: ['Local 1'] }, 'backends.0 must be a location id (^[a-z0-9][a-z0-9-]{0,62}$, or a number read as its decimal string), got "Local 1"'],
    ['type of a field', { ...base, description: 5 }, 'description must be a string, got 5'],
    ['name shape', { ...base, name: 'no spaces' }, 'name must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$, got "no spaces"'],
    ['body an object', [1, 2], ' must be an object, got an array'],
  ];
  for (const [rule, json, message] of cases) {
    it(rule, () => {
      assert.equal(firstError(json), message);
    });
  }

  it('reports every bad field, not only the first', () => {
    const errors = errorsOf({ ...base, generation_size: 1, coefficients: 'x', unknown: 1 });
    assert.deepEqual(errors.map((e) => e.path).sort(), ['coefficients', 'generation_size', 'unknown']);
  });
});

describe('policy document: locations', () => {
  const known = new Map<string, KnownLocation>([
    ['local-1', { kind: 'local', retired: false }],
    ['local-2', { kind: 'local', retired: false }],
    ['cloud-1', { kind: 'cloud', retired: false }],
    ['edge-1', { kind: 'edge', retired: false }],
    ['old', { kind: 'local', retired: true }],
  ]);

  it('accepts existing, active locations of the right kinds', () => {
    assert.deepEqual(checkPolicyLocations(parsed({ ...base, backends: ['local-1', 'cloud-1'] }), known), []);
  });

  it('names each location that does not exist, is retired, or is in the wrong list', () => {
    assert.deepEqual(checkPolicyLocations(parsed({ backends: ['nope', 'old', 'edge-1'], edge_devices: ['local-1'], redundancy: { redundant_packets: 1 } }), known), [
      { path: 'backends.0', message: 'no location "nope" exists' },
      { path: 'backends.1', message: 'location "old" is retired' },
      { path: 'backends.2', message: 'location "edge-1" is an edge location: list it in edge_devices' },
      { path: 'edge_devices.0', message: 'location "local-1" is a local location: list it in backends' },
    ]);
  });
});

describe('policy document: dispersal', () => {
  it('sends packets to the first n listed locations, backends first; the rest are standbys', () => {
    const doc = parsed({ backends: ['b1', 'b2'], edge_devices: ['e1', 'e2'], redundancy: { data_packets: 2, redundant_packets: 1 }, compression: { scheme: 'BROTLI', level: 4 }, coefficients: 'metadata', generation_size: 65536 });
    const policy = toDispersalPolicy(doc);
    assert.deepEqual(policy, {
      codec: { k: 2, r: 1, systematic: false, generationSize: 65536, compression: { scheme: 'brotli', level: 4 }, coefficients: 'aside' },
      locations: ['b1', 'b2', 'e1'],
      writeQuorum: 3,
    });
    validateDispersalPolicy(policy);
  });

  it('maps every compression scheme to the codec name', () => {
    for (const [scheme, codec] of [['NONE', 'none'], ['DEFLATE', 'deflate'], ['BROTLI', 'brotli']] as const) {
      assert.equal(toDispersalPolicy(parsed({ ...base, compression: { scheme } })).codec.compression.scheme, codec);
    }
  });
});

describe('policy document: stored shapes', () => {
  const legacy = {
    codec: { k: 4, r: 2, systematic: false, generationSize: 4194304, compression: { scheme: 'deflate', level: 6 }, coefficients: 'inline' },
    locations: ['local-1', 'local-2', 'local-3', 'local-4', 'local-5', 'local-6'],
    writeQuorum: 6,
  };

  it('recognises the public stored shape and the legacy shape, and nothing else', () => {
    const doc = parsed(base);
    assert.ok(isPolicyDocument(doc));
    assert.ok(!isPolicyDocument(legacy));
    assert.ok(isLegacyPolicyDocument(legacy));
    assert.ok(!isLegacyPolicyDocument(doc));
    assert.ok(!isPolicyDocument({ ...doc, extra: 1 }));
    assert.ok(!isLegacyPolicyDocument({ ...legacy, codec: { ...legacy.codec, k: 0 } }));
  });

  it('shows a legacy document in the public shape, placing packets exactly as before', () => {
    const doc = readStoredPolicyDocument(legacy);
    assert.deepEqual(doc, {
      description: '',
      backends: legacy.locations,
      edge_devices: [],
      redundancy: { scheme: 'RLNC', data_packets: 4, redundant_packets: 2, systematic: false },
      compression: { scheme: 'DEFLATE', level: 6 },
      encryption: { scheme: 'AES', key_size: 256, mode: 'GCM' },
      generation_size: 4194304,
      write_quorum: 6,
      coefficients: 'inline',
    });
    assert.deepEqual(toDispersalPolicy(doc), legacy);
    assert.deepEqual(dispersalPolicyOfStored(legacy), legacy);
  });

  it('reads a stored public document back as the dispersal policy it stands for', () => {
    const doc = parsed({ ...base, compression: { scheme: 'NONE' } });
    const stored: unknown = JSON.parse(JSON.stringify(doc));
    assert.deepEqual(readStoredPolicyDocument(stored), doc);
    assert.deepEqual(dispersalPolicyOfStored(stored), toDispersalPolicy(doc));
  });

  it('refuses a stored document of neither shape', () => {
    assert.throws(() => readStoredPolicyDocument({ backends: 'x' }), /neither a policy document nor a legacy/);
  });

  it('normalises identically: equal documents are equal JSON (so an unchanged PUT stores no new version)', () => {
    const a = parsed({ ...base, description: 'd' });
    const b = parsed({ description: 'd', redundancy: { redundant_packets: 1, scheme: 'RLNC' }, edge_devices: ['edge-1'], backends: ['local-1', 'local-2'], compression: { level: 6 } });
    assert.equal(JSON.stringify(a), JSON.stringify(b));
  });
});
