/**
 * JSON numbers (RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`) as a
 * small state machine for json-grammar.ts: each state names what has been read so far.
 */
export const N_MINUS = 0;
export const N_ZERO = 1;
export const N_INT = 2;
const N_DOT = 3;
const N_FRAC = 4;
const N_E = 5;
const N_ESIGN = 6;
const N_EXP = 7;
/** The state a number starting with `b` (`-` or a digit) is in. */
export const numberStart = (b: number) => (b === 0x2d ? N_MINUS : b === 0x30 ? N_ZERO : N_INT);
/** States after which a number may end. */
const COMPLETE = [false, true, true, false, true, false, false, true];
export const numberComplete = (state: number) => COMPLETE[state] === true;

/** What a number ends at: a byte that cannot continue it. */
export const NUMBER_ENDS = -1;
/** A byte that can neither continue nor end the number (`01`, `1.x`, `-a`). */
export const NUMBER_BAD = -2;

const isDigit = (b: number) => b >= 0x30 && b <= 0x39;

/** The state after byte `b`, or NUMBER_ENDS / NUMBER_BAD. */
export function numberNext(state: number, b: number): number {
  const digit = isDigit(b);
  switch (state) {
    case N_MINUS:
      return digit ? (b === 0x30 ? N_ZERO : N_INT) : NUMBER_BAD;
    case N_ZERO:
      if (digit) return NUMBER_BAD; // a leading zero
      return b === 0x2e ? N_DOT : b === 0x65 || b === 0x45 ? N_E : NUMBER_ENDS;
    case N_INT:
      if (digit) return N_INT;
      return b === 0x2e ? N_DOT : b === 0x65 || b === 0x45 ? N_E : NUMBER_ENDS;
    case N_DOT:
      return digit ? N_FRAC : NUMBER_BAD;
    case N_FRAC:
      if (digit) return N_FRAC;
      return b === 0x65 || b === 0x45 ? N_E : NUMBER_ENDS;
    case N_E:
      if (b === 0x2b || b === 0x2d) return N_ESIGN;
      return digit ? N_EXP : NUMBER_BAD;
    case N_ESIGN:
      return digit ? N_EXP : NUMBER_BAD;
    default:
      return digit ? N_EXP : NUMBER_ENDS;
  }
}
