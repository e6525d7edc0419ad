// Where the browser reaches the S3 endpoint: the gateway's `s3_url`, adjusted when it names an address only the
// gateway's own machine can use; without one, the page's host on port 9000 (pure, unit-tested).

export interface PageLocation {
  readonly protocol: string;
  readonly hostname: string;
}

const UNSPECIFIED = new Set(['0.0.0.0', '[::]', '::']);

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\./.test(hostname);
}

function bracketed(hostname: string): string {
  return hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
}

export function s3Endpoint(s3Url: string | null | undefined, page: PageLocation): string {
  if (typeof s3Url !== 'string' || s3Url === '') return `${page.protocol}//${bracketed(page.hostname)}:9000`;
  let url: URL;
  try {
    url = new URL(s3Url);
  } catch {
    return s3Url;
  }
  // A listen-on-everything address, or loopback seen from another machine, means "the host this page came from".
  if (UNSPECIFIED.has(url.hostname) || (isLoopback(url.hostname) && !isLoopback(page.hostname))) url.hostname = bracketed(page.hostname);
  return url.toString().replace(/\/+$/, '');
}
