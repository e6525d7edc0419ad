// The world map's geometry: an equirectangular projection cropped to 84 N – 60 S, antimeridian-safe rings, and
// which markers get a label (pure, unit-tested).

export interface MapMarker {
  readonly id: string;
  readonly latitude: number;
  readonly longitude: number;
  readonly label: string;
  readonly state: 'up' | 'degraded' | 'down';
}

/** The map covers latitudes 84 N to 60 S; Antarctica holds no locations. */
const TOP = 84;
const BOTTOM = -60;
export const WIDTH = 360;
export const HEIGHT = TOP - BOTTOM;

/** Equirectangular: one unit per degree. */
export function project(longitude: number, latitude: number): readonly [number, number] {
  return [longitude + 180, TOP - latitude];
}

function draw(points: readonly (readonly [number, number])[]): string {
  return (
    points
      .map(([lon, lat], i) => {
        const [x, y] = project(lon, lat);
        return `${i === 0 ? 'M' : 'L'}${x.toFixed(2)},${y.toFixed(2)}`;
      })
      .join('') + 'Z'
  );
}

/**
 * A ring as SVG path data. Rings that cross the antimeridian (Russia, Fiji) are unwrapped into continuous longitudes,
 * drawn, and drawn again shifted by 360° so the part past the edge shows on the other side (the viewBox clips both).
 */
export function ring(points: readonly (readonly number[])[]): string {
  const unwrapped: [number, number][] = [];
  let offset = 0;
  let previous: number | undefined;
  for (const p of points) {
    const lon = p[0] ?? 0;
    if (previous !== undefined && lon - previous > 180) offset -= 360;
    else if (previous !== undefined && lon - previous < -180) offset += 360;
    previous = lon;
    unwrapped.push([lon + offset, p[1] ?? 0]);
  }
  const xs = unwrapped.map(([lon]) => lon);
  let path = draw(unwrapped);
  if (Math.max(...xs) > 180) path += draw(unwrapped.map(([lon, lat]) => [lon - 360, lat] as const));
  if (Math.min(...xs) < -180) path += draw(unwrapped.map(([lon, lat]) => [lon + 360, lat] as const));
  return path;
}

/**
 * Which markers get a text label: the first of any cluster closer than `gap` degrees, with how many others it stands
 * for ("local-1 +2"); the others keep their tooltip.
 */
export function labelled(markers: readonly MapMarker[], gap = 8): ReadonlyMap<string, number> {
  const placed: { readonly id: string; readonly x: number; readonly y: number }[] = [];
  const labels = new Map<string, number>();
  for (const m of markers) {
    const [x, y] = project(m.longitude, m.latitude);
    const near = placed.find((p) => Math.abs(p.x - x) < gap * 2 && Math.abs(p.y - y) < gap / 2);
    if (near === undefined) {
      placed.push({ id: m.id, x, y });
      labels.set(m.id, 0);
    } else {
      labels.set(near.id, (labels.get(near.id) ?? 0) + 1);
    }
  }
  return labels;
}
