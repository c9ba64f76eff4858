/**
 * CRC-32C (Castagnoli), the checksum GCS reports in `crc32c` and `x-goog-hash`. Table-driven,
 * one byte at a time: plenty fast for test payloads, and small enough to check by eye.
 */

// Reflected form of the Castagnoli polynomial 0x1EDC6F41 (RFC 3720 §B.4).
const POLYNOMIAL = 0x82f63b78;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Extends a running CRC (start with 0) over `bytes`; feed chunks in order. */
export function crc32cUpdate(crc: number, bytes: Uint8Array): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The encoding GCS uses: the 4 bytes big-endian, then base64. */
export function crc32cBase64(crc: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc >>> 0);
  return out.toString('base64');
}
