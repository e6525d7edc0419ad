// The storage policy wizard's live explanation: survival, overhead, cost, who could rebuild the data, placement.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainPolicy, type PlacedLocation } from '../../portal/src/explain.ts';

function cloud(id: string, provider: string, cost: number | undefined, extra: Partial<PlacedLocation> = {}): PlacedLocation {
  return { id, kind: 'cloud', trustZone: provider.toLowerCase(), provider, storageCostPerGbMonth: cost, ...extra };
}

describe('explainPolicy', () => {
  it('k=4, r=2 over six providers: survives any 2, stores 1.5×, costs the sum over k, nobody holds k', () => {
    const locations = ['A', 'B', 'C', 'D', 'E', 'F'].map((p) => cloud(p.toLowerCase(), p, 0.02));
    const e = explainPolicy({ locations, dataPackets: 4, redundantPackets: 2 });
    assert.equal(e.valid, true);
    assert.match(e.text, /^This policy survives any 2 locations failing/);
    assert.match(e.text, /stores 1\.5× the data/);
    // Each of 6 locations keeps 1/4 of the data at $0.02: 6 × 0.02 / 4 = $0.03.
    assert.ok(Math.abs((e.costPerGbMonth ?? 0) - 0.03) < 1e-12);
    assert.match(e.text, /estimated \$0\.03\/GB\/month/);
    assert.match(e.text, /no single provider holds k fragments \(k = 4\), nor does any trust zone/);
    assert.deepEqual(e.warnings, []);
  });

  it('one location failing, singular', () => {
    const e = explainPolicy({ locations: [cloud('a', 'A', 0.01), cloud('b', 'B', 0.01), cloud('c', 'C', 0.01)], dataPackets: 2, redundantPackets: 1 });
    assert.match(e.text, /survives any 1 location failing/);
    assert.match(e.text, /stores 1\.5× the data/);
  });

  it('warns when one provider holds k fragments', () => {
    const locations = [cloud('a1', 'AWS', 0.02, { trustZone: 'aws-1' }), cloud('a2', 'AWS', 0.02, { trustZone: 'aws-2' }), cloud('g', 'GCP', 0.02)];
    const e = explainPolicy({ locations, dataPackets: 2, redundantPackets: 1 });
    assert.equal(e.valid, true);
    assert.equal(e.warnings.length, 1);
    assert.match(e.warnings[0] ?? '', /Provider "AWS" holds 2 of the 3 fragments/);
    assert.doesNotMatch(e.text, /no single provider/);
  });

  it('warns about a trust zone shared by providers', () => {
    const locations = [cloud('a', 'A', 0.02, { trustZone: 'dc-1' }), cloud('b', 'B', 0.02, { trustZone: 'dc-1' }), cloud('c', 'C', 0.02)];
    const e = explainPolicy({ locations, dataPackets: 2, redundantPackets: 1 });
    assert.match(e.text, /no single provider holds k fragments \(k = 2\)\./);
    assert.match(e.warnings.join(' '), /Trust zone "dc-1" holds 2 of the 3 fragments/);
  });

  it('counts unknown costs as $0 and says so; unknown everywhere is unknown', () => {
    const some = explainPolicy({ locations: [cloud('a', 'A', 0.04), cloud('b', 'B', undefined)], dataPackets: 1, redundantPackets: 1 });
    assert.match(some.text, /estimated \$0\.04\/GB\/month \(1 location without a storage cost counted as \$0\)/);
    const none = explainPolicy({ locations: [{ id: 'local-1', kind: 'local', trustZone: 'local-1' }, { id: 'local-2', kind: 'local', trustZone: 'local-2' }], dataPackets: 1, redundantPackets: 1 });
    assert.equal(none.costPerGbMonth, undefined);
    assert.match(none.text, /estimated cost unknown/);
  });

  it('names standbys beyond n, and places the data by country and jurisdiction', () => {
    const locations = [
      cloud('fra', 'A', 0.02, { country: 'DE', jurisdiction: 'EU', gdprCompliant: true }),
      cloud('par', 'B', 0.02, { country: 'FR', jurisdiction: 'EU', gdprCompliant: true }),
      cloud('spare', 'C', 0.02, { country: 'US', jurisdiction: 'US', gdprCompliant: false }),
    ];
    const e = explainPolicy({ locations, dataPackets: 1, redundantPackets: 1 });
    assert.match(e.text, /places data in countries DE and FR, jurisdiction EU/);
    assert.match(e.text, /keeps every fragment at GDPR-compliant locations/);
    assert.match(e.text, /keeps spare as a standby/);
  });

  it('r = 0 survives nothing', () => {
    const e = explainPolicy({ locations: [cloud('a', 'A', 0.02), cloud('b', 'B', 0.02)], dataPackets: 2, redundantPackets: 0 });
    assert.match(e.text, /survives no location failing/);
    assert.match(e.text, /stores 1× the data/);
  });

  it('is invalid, saying why, when n exceeds the chosen locations or k, r are not whole numbers', () => {
    const tooMany = explainPolicy({ locations: [cloud('a', 'A', 0.02), cloud('b', 'B', 0.02)], dataPackets: 2, redundantPackets: 1 });
    assert.equal(tooMany.valid, false);
    assert.match(tooMany.text, /n = k \+ r = 3 fragments need 3 locations, but only 2 are chosen/);
    assert.equal(explainPolicy({ locations: [cloud('a', 'A', 0)], dataPackets: 0, redundantPackets: 0 }).valid, false);
    assert.equal(explainPolicy({ locations: [cloud('a', 'A', 0)], dataPackets: 1.5, redundantPackets: 0 }).valid, false);
    assert.equal(explainPolicy({ locations: [cloud('a', 'A', 0)], dataPackets: 1, redundantPackets: Number.NaN }).valid, false);
    assert.match(explainPolicy({ locations: [], dataPackets: 1, redundantPackets: 0 }).text, /Choose at least one location/);
  });
});
