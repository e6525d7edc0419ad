// An offline world map (Natural Earth 110m from world-atlas, equirectangular) with a marker per located location.
// Loaded lazily: the TopoJSON is a chunk of its own.

import type { GeoJsonProperties, Geometry } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import atlas from 'world-atlas/countries-110m.json';
import { HEIGHT, labelled, project, ring, WIDTH, type MapMarker } from '../map-geometry.ts';

export type { MapMarker } from '../map-geometry.ts';

function pathOf(geometry: Geometry | null): string {
  if (geometry === null) return '';
  switch (geometry.type) {
    case 'Polygon':
      return geometry.coordinates.map(ring).join('');
    case 'MultiPolygon':
      return geometry.coordinates.map((polygon) => polygon.map(ring).join('')).join('');
    default:
      return '';
  }
}

let countryPaths: string[] | undefined;

function countries(): string[] {
  if (countryPaths === undefined) {
    const topology = atlas as Topology<{ countries: GeometryCollection<GeoJsonProperties> }>;
    countryPaths = feature(topology, topology.objects.countries).features.map((f) => pathOf(f.geometry));
  }
  return countryPaths;
}

export function WorldMap({ markers }: { readonly markers: readonly MapMarker[] }) {
  const withLabel = labelled(markers);
  return (
    <svg class="world-map" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`World map with ${markers.length} located storage locations`} data-testid="world-map">
      <rect x="0" y="0" width={WIDTH} height={HEIGHT} class="sea" />
      <g class="land">
        {countries().map((d, i) => (
          <path key={i} d={d} />
        ))}
      </g>
      <g class="markers">
        {markers.map((m) => {
          const [x, y] = project(m.longitude, m.latitude);
          return (
            <g key={m.id} class={`marker marker-${m.state}`} data-testid={`map-marker-${m.id}`}>
              <title>{m.label}</title>
              <circle cx={x} cy={y} r="2.4" />
              {withLabel.has(m.id) ? (
                <text x={x + 3.2} y={y + 1.2}>
                  {m.id}
                  {withLabel.get(m.id) === 0 ? '' : ` +${String(withLabel.get(m.id))}`}
                </text>
              ) : null}
            </g>
          );
        })}
      </g>
    </svg>
  );
}
