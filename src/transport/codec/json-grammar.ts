import { invalidArgument } from '../../domain/errors.js';
import type { JsonLimits } from '../gate/json-bounds.js';
import { N_MINUS, NUMBER_BAD, NUMBER_ENDS, numberComplete, numberNext, numberStart } from './json-number.js';

/**
 * What a grammar check tells the one who listens (file-index.ts), for values at most
 * `listenDepth` containers deep (0: the document itself). Offsets count bytes from the first
 * byte pushed; `end` is exclusive. No value is ever built.
 */
export interface GrammarListener {
  readonly listenDepth: number;
  /** A value starts; `first` is its first byte (`{`, `[`, `"`, a digit, `-`, `t`, `f` or `n`). */
  valueStart(depth: number, offset: number, first: number): void;
  valueEnd(depth: number, end: number): void;
  /** An object member's key, decoded, for objects at most `listenDepth` deep. */
  key(depth: number, key: string): void;
}

// States of the machine; each names what the next byte may be.
const VALUE = 0; // a value (after `:`, `,` in an array, or at the start)
const FIRST_VALUE = 1; // a value or `]` (just after `[`)
const FIRST_KEY = 2; // a key or `}` (just after `{`)
const KEY = 3; // a key (after `,` in an object)
const COLON = 4;
const AFTER = 5; // `,` or the container's closer (or, at depth 0, only whitespace)
const STRING = 6;
const ESCAPE = 7; // after `\`
const HEX = 8; // inside `\uXXXX`
const UTF8 = 9; // inside a multi-byte UTF-8 sequence
const LITERAL = 10; // inside true/false/null
const NUMBER = 11;

const OBJECT = 1;
const ARRAY = 2;

const LITERALS: Record<number, Uint8Array> = {
  116: Buffer.from('true'),
  102: Buffer.from('false'),
  110: Buffer.from('null'),
};

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isHex = (b: number) => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
/** The escapes JSON allows after `\` (RFC 8259 §7), `u` apart. */
const SIMPLE_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

const notJson = () => invalidArgument('IMPORT-file-json', 'the import file is not valid JSON');

/**
 * Checks JSON text as its bytes stream past, in one pass and constant memory, and accepts
 * exactly what `JSON.parse` of its UTF-8 decoding (fatal on bad UTF-8) accepts: RFC 8259's
 * grammar, strings without raw control characters, valid escapes, well-formed UTF-8 (no
 * overlong forms, no encoded surrogates, nothing past U+10FFFF). It also keeps the depth and
 * string bounds of gate/json-bounds.ts (issue 9). Errors are DomainError InvalidArgument:
 * IMPORT-file-json, IMPORT-file-truncated (at `end()`), JSON-depth, JSON-string-size.
 */
export class JsonGrammar {
  private state = VALUE;
  /** Open containers, innermost last. */
  private readonly stack: Uint8Array;
  private depth = 0;
  private done = false;
  private offset = 0;
  /** In a string: whether it is a key, its length in bytes so far, a listened key's bytes. */
  private stringIsKey = false;
  private stringBytes = 0;
  private keyBytes: number[] | null = null;
  private need = 0; // HEX: hex digits left; UTF8: continuation bytes left; LITERAL: its index
  private lo = 0x80; // UTF8: range of the next continuation byte
  private hi = 0xbf;
  private literal: Uint8Array = LITERALS[0x74] as Uint8Array;
  private number = N_MINUS;

  constructor(
    private readonly limits: JsonLimits,
    private readonly listener?: GrammarListener,
  ) {
    this.stack = new Uint8Array(limits.maxDepth + 1);
  }

  /** Checks the next bytes of the document. */
  push(bytes: Uint8Array): void {
    const n = bytes.length;
    const base = this.offset;
    let i = 0;
    while (i < n) {
      const b = bytes[i] as number;
      switch (this.state) {
        case STRING: {
          // The hot loop: plain ASCII runs inside strings.
          let j = i;
          while (j < n) {
            const c = bytes[j] as number;
            if (c === 0x22 || c === 0x5c || c < 0x20 || c >= 0x80) break;
            j++;
          }
          this.countString(j - i, bytes, i, j);
          i = j;
          if (i === n) break;
          const c = bytes[i] as number;
          if (c === 0x22) this.endString(base + i);
          else if (c === 0x5c) this.state = ESCAPE;
          else if (c < 0x20) throw notJson();
          else this.startUtf8(c);
          if (c !== 0x22) this.countString(1, bytes, i, i + 1);
          i++;
          continue;
        }
        case ESCAPE:
          if (b === 0x75) {
            this.state = HEX;
            this.need = 4;
          } else if (SIMPLE_ESCAPES.has(b)) this.state = STRING;
          else throw notJson();
          this.countString(1, bytes, i, i + 1);
          break;
        case HEX:
          if (!isHex(b)) throw notJson();
          if (--this.need === 0) this.state = STRING;
          this.countString(1, bytes, i, i + 1);
          break;
        case UTF8:
          if (b < this.lo || b > this.hi) throw notJson();
          this.lo = 0x80;
          this.hi = 0xbf;
          if (--this.need === 0) this.state = STRING;
          this.countString(1, bytes, i, i + 1);
          break;
        case LITERAL:
          if (b !== this.literal[this.need]) throw notJson();
          if (++this.need === this.literal.length) this.endValue(base + i + 1);
          break;
        case NUMBER: {
          const next = numberNext(this.number, b);
          if (next >= 0) {
            this.number = next;
            break;
          }
          if (next === NUMBER_BAD || (next === NUMBER_ENDS && !numberComplete(this.number))) throw notJson();
          this.endValue(base + i);
          continue; // the byte that ended the number is read again in AFTER
        }
        default:
          if (!isSpace(b)) this.structural(b, base + i);
      }
      i++;
    }
    this.offset = base + n;
  }

  /** The document is complete; throws IMPORT-file-truncated if it is not. */
  end(): void {
    if (this.state === NUMBER && this.depth === 0 && numberComplete(this.number)) this.endValue(this.offset);
    if (!this.done) throw invalidArgument('IMPORT-file-truncated', 'the import file ends early (truncated?): its JSON is not complete');
  }

  private structural(b: number, at: number): void {
    const state = this.state;
    if (this.done) throw invalidArgument('IMPORT-file-json', 'the import file has data after its end');
    if (state === VALUE || state === FIRST_VALUE) {
      if (b === 0x5d && state === FIRST_VALUE) this.close(ARRAY, at);
      else this.startValue(b, at);
    } else if (state === FIRST_KEY || state === KEY) {
      if (b === 0x7d && state === FIRST_KEY) this.close(OBJECT, at);
      else if (b === 0x22) this.startString(true);
      else throw notJson();
    } else if (state === COLON) {
      if (b !== 0x3a) throw notJson();
      this.state = VALUE;
    } else if (b === 0x2c) {
      this.state = this.stack[this.depth - 1] === OBJECT ? KEY : VALUE;
    } else if (b === 0x7d || b === 0x5d) {
      this.close(b === 0x7d ? OBJECT : ARRAY, at);
    } else throw notJson();
  }

  private startValue(b: number, at: number): void {
    const listen = this.listener && this.depth <= this.listener.listenDepth;
    if (b === 0x7b || b === 0x5b) {
      if (listen) this.listener?.valueStart(this.depth, at, b);
      if (this.depth >= this.limits.maxDepth) {
        throw invalidArgument('JSON-depth', `the request's JSON nests deeper than ${this.limits.maxDepth} levels`);
      }
      this.stack[this.depth++] = b === 0x7b ? OBJECT : ARRAY;
      this.state = b === 0x7b ? FIRST_KEY : FIRST_VALUE;
      return;
    }
    if (b === 0x22) {
      if (listen) this.listener?.valueStart(this.depth, at, b);
      this.startString(false);
      return;
    }
    const literal = LITERALS[b];
    if (literal) {
      this.literal = literal;
      this.need = 1;
      this.state = LITERAL;
    } else if (b === 0x2d || isDigit(b)) {
      this.number = numberStart(b);
      this.state = NUMBER;
    } else throw notJson();
    if (listen) this.listener?.valueStart(this.depth, at, b);
  }

  private close(type: number, at: number): void {
    if (this.stack[this.depth - 1] !== type) throw notJson();
    this.depth--;
    this.endValue(at + 1);
  }

  /** A value ended at `end` (exclusive): what may come next depends on its container. */
  private endValue(end: number): void {
    if (this.listener && this.depth <= this.listener.listenDepth) this.listener.valueEnd(this.depth, end);
    this.state = AFTER;
    if (this.depth === 0) this.done = true;
  }

  private startString(isKey: boolean): void {
    this.state = STRING;
    this.stringIsKey = isKey;
    this.stringBytes = 0;
    this.keyBytes = isKey && this.listener && this.depth <= this.listener.listenDepth ? [] : null;
  }

  private endString(at: number): void {
    if (!this.stringIsKey) {
      this.endValue(at + 1);
      return;
    }
    this.state = COLON;
    const key = this.keyBytes;
    if (key) {
      this.keyBytes = null;
      this.listener?.key(this.depth, JSON.parse(`"${Buffer.from(key).toString('utf8')}"`) as string);
    }
  }

  /** Counts string bytes against the bound (escapes as sent) and keeps a listened key's bytes. */
  private countString(count: number, bytes: Uint8Array, from: number, to: number): void {
    this.stringBytes += count;
    if (this.stringBytes > this.limits.maxStringBytes) {
      throw invalidArgument('JSON-string-size', `a JSON string in the request is longer than ${this.limits.maxStringBytes} bytes`);
    }
    if (this.keyBytes) for (let k = from; k < to; k++) this.keyBytes.push(bytes[k] as number);
  }

  /** The lead byte of a multi-byte UTF-8 sequence (RFC 3629 §4: the ranges of its next byte). */
  private startUtf8(b: number): void {
    this.state = UTF8;
    if (b >= 0xc2 && b <= 0xdf) this.need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      this.need = 2;
      if (b === 0xe0) this.lo = 0xa0;
      if (b === 0xed) this.hi = 0x9f; // U+D800..U+DFFF are not characters
    } else if (b >= 0xf0 && b <= 0xf4) {
      this.need = 3;
      if (b === 0xf0) this.lo = 0x90;
      if (b === 0xf4) this.hi = 0x8f; // nothing past U+10FFFF
    } else throw notJson();
  }
}
