import { invalidArgument } from '../../domain/errors.js';
import { toConnectError } from '../interceptors/errors.interceptor.js';

/** How deep and how long JSON a caller may send. */
export interface JsonLimits {
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
  /** Longest single string (key or value), in bytes as sent (escapes counted as sent). */
  maxStringBytes: number;
}

/**
 * Defaults. ZITADEL's messages nest about ten levels deep (DataOrg → user → profile …), so 100
 * leaves room for any real request while a 12 KB body of 6,000 nested arrays (which overflowed
 * JSON.stringify's stack in the REST gateway, issue 9) is refused. The longest legitimate
 * string is a metadata value: ZITADEL allows 500,000 bytes (`SetUserMetadataRequest.value`,
 * `max_len: 500000`), which is about 667 KB in base64; 1 MiB covers it.
 */
export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 100, maxStringBytes: 1024 * 1024 };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Checks JSON text against the limits as its bytes stream past, in one pass and constant
 * memory, without parsing it: only brackets outside strings and string lengths are counted.
 * Syntax is left to the real parser. Safe on UTF-8 because no multi-byte sequence contains an
 * ASCII byte.
 */
export class JsonBoundsScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private stringBytes = 0;

  constructor(private readonly limits: JsonLimits) {}

  /** Starts a new document (the next enveloped message). */
  reset(): void {
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.stringBytes = 0;
  }

  /** Throws DomainError InvalidArgument as soon as a limit is broken. */
  push(bytes: Uint8Array, start = 0, end = bytes.length): void {
    const { maxDepth, maxStringBytes } = this.limits;
    for (let i = start; i < end; i++) {
      const b = bytes[i] as number;
      if (this.inString) {
        if (b === QUOTE && !this.escaped) {
          this.inString = false;
          continue;
        }
        this.escaped = !this.escaped && b === BACKSLASH;
        if (++this.stringBytes > maxStringBytes) {
          throw invalidArgument('JSON-string-size', `a JSON string in the request is longer than ${maxStringBytes} bytes`);
        }
      } else if (b === QUOTE) {
        this.inString = true;
        this.stringBytes = 0;
      } else if (b === 0x5b || b === 0x7b) {
        if (++this.depth > maxDepth) {
          throw invalidArgument('JSON-depth', `the request's JSON nests deeper than ${maxDepth} levels`);
        }
      } else if (b === 0x5d || b === 0x7d) {
        this.depth--;
      }
    }
  }
}

/** Throws if `bytes` (one whole JSON document) breaks a limit. */
export function checkJsonBounds(bytes: Uint8Array, limits: JsonLimits): void {
  new JsonBoundsScanner(limits).push(bytes);
}

/** Connect, gRPC and gRPC-Web carry JSON messages in 5-byte envelopes (flags, big-endian length). */
const ENVELOPED_JSON = /^application\/(connect|grpc|grpc-web)\+json\b/;

/**
 * Wraps a request body so JSON in it is checked as it is read: a unary Connect JSON body
 * (`application/json`) as one document, enveloped `+json` streams message by message. Other
 * bodies (protobuf binary) pass untouched. Compressed envelopes are not inspected here; the
 * parsers behind them are iterative and ignore unknown fields, so depth there cannot crash.
 */
export function boundJsonBody(body: AsyncIterable<Uint8Array>, contentType: string | null, limits: JsonLimits): AsyncIterable<Uint8Array> {
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('application/json')) {
    return (async function* () {
      const scanner = new JsonBoundsScanner(limits);
      for await (const chunk of body) {
        pushOrThrow(scanner, chunk, 0, chunk.length);
        yield chunk;
      }
    })();
  }
  if (!ENVELOPED_JSON.test(type)) return body;
  return (async function* () {
    const scanner = new JsonBoundsScanner(limits);
    const header = new Uint8Array(5);
    let headerFill = 0;
    let remaining = 0;
    let inspect = false;
    for await (const chunk of body) {
      let i = 0;
      while (i < chunk.length) {
        if (remaining === 0) {
          header[headerFill++] = chunk[i++] as number;
          if (headerFill === 5) {
            headerFill = 0;
            remaining = new DataView(header.buffer).getUint32(1);
            // flag bit 0: compressed; bit 1: end-of-stream (trailers, not a message).
            inspect = ((header[0] as number) & 0b11) === 0;
            scanner.reset();
          }
          continue;
        }
        const end = Math.min(chunk.length, i + remaining);
        if (inspect) pushOrThrow(scanner, chunk, i, end);
        remaining -= end - i;
        i = end;
      }
      yield chunk;
    }
  })();
}

/** Connect answers a body that fails while read only if the failure is a ConnectError. */
function pushOrThrow(scanner: JsonBoundsScanner, bytes: Uint8Array, start: number, end: number) {
  try {
    scanner.push(bytes, start, end);
  } catch (e) {
    throw toConnectError(e);
  }
}
