/**
 * An append-only log of small records as bytes: varints and length-prefixed UTF-8 strings in
 * Buffers that grow chunk by chunk (never copied when they grow), read back from any position
 * written. A million 18-digit ids cost about 19 MB here, against about 50 MB as one V8 string
 * each in an array (test/bench/report-memory.ts).
 */
export class ByteLog {
  private readonly chunks: Buffer[] = [];
  private chunk: Buffer = EMPTY;
  private offset = 0;
  /** Bytes in the chunks before the current one (each is full before the next is made). */
  private base = 0;

  /** Bytes written so far: where the next record starts, for `copy`. */
  get size(): number {
    return this.base + this.offset;
  }

  /** Where the next byte goes, for a reader to start at. */
  position(): LogPosition {
    if (this.offset === this.chunk.length) this.grow();
    return { chunk: this.chunks.length - 1, offset: this.offset };
  }

  byte(value: number): void {
    if (this.offset === this.chunk.length) this.grow();
    this.chunk[this.offset++] = value;
  }

  /** A non-negative integer, 7 bits a byte. */
  varint(value: number): void {
    let v = value;
    while (v > 0x7f) {
      this.byte((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.byte(v);
  }

  /** Its UTF-8 length, then its bytes (the caller keeps lone surrogates out: UTF-8 cannot hold them). */
  string(value: string): void {
    // Ids and names are short and mostly ASCII: copied in JS, with no native call to measure
    // and write them (Buffer.byteLength and write were a third of the report's cost in a CPU
    // profile of a 200,000-user import).
    if (value.length < 128 && value.length < this.chunk.length - this.offset && this.ascii(value)) return;
    const length = Buffer.byteLength(value, 'utf8');
    this.varint(length);
    if (length <= this.chunk.length - this.offset) {
      this.offset += this.chunk.write(value, this.offset, 'utf8');
      return;
    }
    const bytes = Buffer.from(value, 'utf8');
    let done = 0;
    while (done < length) {
      if (this.offset === this.chunk.length) this.grow();
      const copied = bytes.copy(this.chunk, this.offset, done);
      this.offset += copied;
      done += copied;
    }
  }

  /** Writes a short string's length and bytes if it is all ASCII (the caller checked it fits); false, and nothing written, otherwise. */
  private ascii(value: string): boolean {
    const chunk = this.chunk;
    const start = this.offset;
    chunk[start] = value.length;
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code > 0x7f) return false;
      chunk[start + 1 + i] = code;
    }
    this.offset = start + 1 + value.length;
    return true;
  }

  /** The bytes written from size `from` to size `to`, as one Buffer (records to keep elsewhere). */
  copy(from: number, to: number): Buffer {
    const out = Buffer.allocUnsafe(to - from);
    let start = 0;
    for (const chunk of this.chunks) {
      const end = start + chunk.length;
      if (end > from && start < to) {
        const first = Math.max(from, start) - start;
        const last = Math.min(to, end) - start;
        chunk.copy(out, Math.max(start - from, 0), first, last);
      }
      if (end >= to) break;
      start = end;
    }
    return out;
  }

  /** Appends records another log wrote (`copy`), byte for byte; answers where they start. */
  append(bytes: Uint8Array): LogPosition {
    const at = this.position();
    let done = 0;
    while (done < bytes.length) {
      if (this.offset === this.chunk.length) this.grow();
      const n = Math.min(bytes.length - done, this.chunk.length - this.offset);
      this.chunk.set(bytes.subarray(done, done + n), this.offset);
      this.offset += n;
      done += n;
    }
    return at;
  }

  reader(at: LogPosition): LogReader {
    return new LogReader(this.chunks, at);
  }

  /** Chunks start small (most reports are small) and double up to 1 MiB. */
  private grow(): void {
    this.base += this.chunk.length;
    const size = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, this.chunk.length * 2));
    this.chunk = Buffer.allocUnsafe(size);
    this.chunks.push(this.chunk);
    this.offset = 0;
  }
}

export interface LogPosition {
  readonly chunk: number;
  readonly offset: number;
}

const EMPTY = Buffer.alloc(0);
const MIN_CHUNK = 4 * 1024;
const MAX_CHUNK = 1024 * 1024;

/** Reads what a ByteLog wrote, in the order it wrote it. */
export class LogReader {
  private chunkIndex: number;
  private offset: number;

  constructor(
    private readonly chunks: readonly Buffer[],
    at: LogPosition,
  ) {
    this.chunkIndex = at.chunk;
    this.offset = at.offset;
  }

  byte(): number {
    let chunk = this.chunks[this.chunkIndex] as Buffer;
    if (this.offset === chunk.length) {
      chunk = this.chunks[++this.chunkIndex] as Buffer;
      this.offset = 0;
    }
    return chunk[this.offset++] as number;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  }

  string(): string {
    const length = this.varint();
    let chunk = this.chunks[this.chunkIndex] as Buffer;
    if (this.offset === chunk.length && length > 0) {
      chunk = this.chunks[++this.chunkIndex] as Buffer;
      this.offset = 0;
    }
    if (length <= chunk.length - this.offset) {
      const value = chunk.toString('utf8', this.offset, this.offset + length);
      this.offset += length;
      return value;
    }
    const bytes = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      if (this.offset === chunk.length) {
        chunk = this.chunks[++this.chunkIndex] as Buffer;
        this.offset = 0;
      }
      const copied = chunk.copy(bytes, done, this.offset, Math.min(chunk.length, this.offset + length - done));
      this.offset += copied;
      done += copied;
    }
    return bytes.toString('utf8');
  }
}
