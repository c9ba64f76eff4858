/**
 * The S3 endpoint a caller names, and the allow-list (`IDPORT_S3_ENDPOINTS`) it must match.
 * The caller picks where idport connects, so without the list S3 input and output would let any
 * authenticated caller make idport open connections anywhere (SSRF).
 *
 * A request's `endpoint` is `host[:port]`, exactly what ZITADEL passes to minio-go's `minio.New`
 * (internal/api/grpc/admin/import.go, getFileFromS3): no scheme, path, user info or query; `ssl`
 * picks https (default port 443) or http (default port 80).
 *
 * Matching, after both sides are normalised by the WHATWG URL parser (lower case, IDNA, IPv4 in
 * dotted-quad form, IPv6 compressed in brackets):
 * - an entry `host:port` allows exactly that host and port;
 * - an entry `host` allows that host on the default port of the request's scheme only (443 with
 *   ssl, 80 without); list `host:9000` to allow another port;
 * - an entry `*.domain[:port]` allows any host with one or more labels before `.domain` (not
 *   `domain` itself), with the same port rule.
 * The host is matched as a name: idport connects to whatever it resolves to, so list names whose
 * DNS you trust.
 */
import { invalidArgument } from '../domain/errors.js';

export interface S3Endpoint {
  /** `https://host[:port]` or `http://host[:port]`, for the SDK's `endpoint`. */
  readonly url: string;
  /** Normalised host (brackets kept for IPv6), lower case. */
  readonly host: string;
  readonly port: number;
}

interface AllowEntry {
  /** Exact host, or the suffix (with its leading dot) for a `*.` entry. */
  readonly host: string;
  readonly wildcard: boolean;
  /** undefined: the default port of the request's scheme. */
  readonly port: number | undefined;
}

export interface S3AllowList {
  /** The endpoint as the SDK should use it; InvalidArgument if malformed, disabled or not allowed. */
  resolve(endpoint: string, ssl: boolean): S3Endpoint;
  readonly enabled: boolean;
}

// Characters a bare host[:port] never holds; the URL parser would read them as other parts.
const NOT_AUTHORITY = /[/\\?#@\s%]/;

/** `host[:port]` → normalised host and explicit port (undefined when absent); undefined if malformed. */
function parseAuthority(text: string): { host: string; port: number | undefined } | undefined {
  if (text === '' || NOT_AUTHORITY.test(text) || text.endsWith('.') || text.endsWith(':')) return undefined;
  let url: URL;
  try {
    // A special scheme makes the parser normalise the host (IDNA, IPv4 forms) as a browser would.
    url = new URL(`http://${text}`);
  } catch {
    return undefined;
  }
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined;
  if (url.hostname === '') return undefined;
  // `url.port` is empty for the scheme's default (80), so read an explicit port from the text.
  const explicit = /:(\d+)$/.exec(text.startsWith('[') ? text.slice(text.indexOf(']')) : text)?.[1];
  const port = explicit === undefined ? undefined : Number(explicit);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return { host: url.hostname, port };
}

/**
 * Parses `IDPORT_S3_ENDPOINTS` entries (already split on commas/whitespace). Throws a plain
 * Error naming the bad entry: this runs at start-up, on the operator's configuration.
 */
export function parseS3AllowList(entries: readonly string[]): S3AllowList {
  const allowed: AllowEntry[] = entries.map((raw) => {
    const wildcard = raw.startsWith('*.');
    const parsed = parseAuthority(wildcard ? raw.slice(2) : raw);
    if (parsed === undefined || (wildcard && (parsed.host.startsWith('[') || /^[\d.]+$/.test(parsed.host)))) {
      throw new Error(`IDPORT_S3_ENDPOINTS: "${raw}" is not host[:port] or *.domain[:port]`);
    }
    return { host: wildcard ? `.${parsed.host}` : parsed.host, wildcard, port: parsed.port };
  });

  return {
    enabled: allowed.length > 0,
    resolve(endpoint, ssl) {
      if (allowed.length === 0) {
        throw invalidArgument(
          'BLOB-s3-disabled',
          'S3 input and output are disabled on this server: IDPORT_S3_ENDPOINTS lists no allowed endpoint',
        );
      }
      const parsed = parseAuthority(endpoint);
      if (parsed === undefined) {
        throw invalidArgument('BLOB-s3-endpoint', 'endpoint must be host[:port], without scheme or path (ssl selects https)');
      }
      const port = parsed.port ?? (ssl ? 443 : 80);
      const match = allowed.some(
        (entry) =>
          (entry.wildcard ? parsed.host.endsWith(entry.host) && parsed.host.length > entry.host.length : parsed.host === entry.host) &&
          (entry.port ?? (ssl ? 443 : 80)) === port,
      );
      if (!match) {
        throw invalidArgument('BLOB-s3-endpoint-not-allowed', `endpoint ${parsed.host}:${port} is not in IDPORT_S3_ENDPOINTS`);
      }
      const shownPort = parsed.port === undefined ? '' : `:${parsed.port}`;
      return { url: `${ssl ? 'https' : 'http'}://${parsed.host}${shownPort}`, host: parsed.host, port };
    },
  };
}
