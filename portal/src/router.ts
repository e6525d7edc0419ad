// Hash routes of the portal: `#/buckets`, `#/buckets/<bucket>?prefix=<prefix>`, `#/policies`, ... (pure, unit-tested).

export type PageName = 'buckets' | 'policies' | 'locations' | 'keys' | 'audit' | 'system';
export const PAGES: readonly PageName[] = ['buckets', 'policies', 'locations', 'keys', 'audit', 'system'];

export type Route =
  | { readonly page: PageName }
  | { readonly page: 'objects'; readonly bucket: string; readonly prefix: string };

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function parseHash(hash: string): Route {
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const path = q < 0 ? body : body.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : body.slice(q + 1));
  const parts = path.split('/').filter((p) => p !== '');
  const [first, second] = parts;
  if (first === 'buckets' && second !== undefined) return { page: 'objects', bucket: decode(second), prefix: params.get('prefix') ?? '' };
  const page = PAGES.find((p) => p === first);
  return { page: page ?? 'buckets' };
}

export function routeHref(route: Route): string {
  if (route.page === 'objects') {
    const query = route.prefix === '' ? '' : `?prefix=${encodeURIComponent(route.prefix)}`;
    return `#/buckets/${encodeURIComponent(route.bucket)}${query}`;
  }
  return `#/${route.page}`;
}

/** The folders above a prefix: 'a/b/' → [['a/', 'a'], ['a/b/', 'b']]. */
export function prefixCrumbs(prefix: string, delimiter = '/'): { readonly prefix: string; readonly name: string }[] {
  const crumbs: { prefix: string; name: string }[] = [];
  let at = 0;
  for (;;) {
    const end = prefix.indexOf(delimiter, at);
    if (end < 0) break;
    crumbs.push({ prefix: prefix.slice(0, end + delimiter.length), name: prefix.slice(at, end) });
    at = end + delimiter.length;
  }
  if (at < prefix.length) crumbs.push({ prefix, name: prefix.slice(at) });
  return crumbs;
}
