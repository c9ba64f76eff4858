import { invalidArgument } from '../../domain/errors.js';

/**
 * Keyset pagination as Ory's APIs do it (ory/kratos `oryx/pagination/keysetpagination`): an opaque
 * `page_token` names where the next page starts, and the `Link` header carries the `first` and
 * (when there is one) `next` page URLs.
 */
export const PAGE_SIZE = { default: 250, max: 500 } as const;

export function parsePageSize(raw: string | null): number {
  if (raw === null || raw === '') return PAGE_SIZE.default;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw invalidArgument('KRATOS-page-size', `page_size must be an integer from 1 to ${PAGE_SIZE.max}`);
  return Math.min(n, PAGE_SIZE.max);
}

/** The token is the last id of the previous page, wrapped so clients treat it as opaque. */
export function encodePageToken(lastId: string): string {
  return Buffer.from(JSON.stringify({ k: lastId }), 'utf8').toString('base64url');
}

export function decodePageToken(token: string | null): string | undefined {
  if (token === null || token === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown };
    if (typeof parsed.k === 'string' && parsed.k !== '') return parsed.k;
  } catch {
    // fall through
  }
  throw invalidArgument('KRATOS-page-token', 'page_token is invalid');
}

export function linkHeader(url: URL, pageSize: number, nextToken: string | undefined): string {
  const link = (rel: string, token: string) => {
    const u = new URL(url);
    u.searchParams.set('page_size', String(pageSize));
    u.searchParams.set('page_token', token);
    return `<${u.pathname}${u.search}>; rel="${rel}"`;
  };
  return [link('first', ''), ...(nextToken ? [link('next', nextToken)] : [])].join(',');
}
