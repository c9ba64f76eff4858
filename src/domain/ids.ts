import { createHash, randomInt } from 'node:crypto';

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

/**
 * A stable numeric id for a resource that came without one (ZITADEL generates an id for a
 * human user imported without `userId`): derived from what names it, so re-running the same
 * import finds the same resource instead of creating a second one. 18 digits, like ZITADEL's.
 */
export function derivedId(...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return (digest.readBigUInt64BE(0) % 10n ** 18n).toString().padStart(18, '1');
}
