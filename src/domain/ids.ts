import { randomInt } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

/**
 * Numeric string ids in the style ZITADEL uses (time-ordered, 18 digits), so idport-created
 * resources sort and look like imported ones.
 */
export function newId(): string {
  const now = Date.now();
  sequence = now === lastMs ? sequence + 1 : randomInt(0, 1024);
  lastMs = now;
  return ((BigInt(now) << 22n) | (BigInt(sequence & 0x3ff) << 12n) | BigInt(randomInt(0, 4096))).toString();
}
