import { jest } from '@jest/globals';
import { MAX_DURATION_MS, parseDuration } from '../../../src/domain/duration.js';
import { isDomainError } from '../../../src/domain/errors.js';
import { MAX_TIMER_MS, setLongTimeout } from '../../../src/transport/long-timer.js';

const idOf = (text: string) => {
  try {
    parseDuration(text);
  } catch (e) {
    return isDomainError(e) ? e.id : String(e);
  }
  return 'ok';
};

describe("parseDuration: Go's time.ParseDuration syntax and range", () => {
  // Cases after Go's src/time/time_test.go (parseDurationTests), in milliseconds.
  test.each([
    ['0', 0],
    ['5s', 5000],
    ['30s', 30_000],
    ['1478s', 1_478_000],
    ['-5s', -5000],
    ['+5s', 5000],
    ['-0', 0],
    ['5.0s', 5000],
    ['5.6s', 5600],
    ['5.s', 5000],
    ['.5s', 500],
    ['1.004s', 1004],
    ['100.00100s', 100_001],
    ['10ns', 0.00001],
    ['11us', 0.011],
    ['12µs', 0.012],
    ['12μs', 0.012],
    ['13ms', 13],
    ['15m', 900_000],
    ['16h', 57_600_000],
    ['3h30m', 12_600_000],
    ['10.5s4m', 250_500],
    ['1h2m3s4ms5us6ns', 3_723_004.005006],
    ['597h', 597 * 3_600_000],
    ['2562047h47m16.854775807s', MAX_DURATION_MS + 0.775807],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 6);
  });

  test.each(['3', '-', 's', '.', '-.', '.s', '+.s', '1d', '1h 2m', ' 1s', '1s ', '1e3s', 'abc', '1.2.3s'])(
    '"%s" is DURATION-invalid',
    (text) => {
      expect(idOf(text)).toBe('DURATION-invalid');
    },
  );

  test.each(['2562048h', '9223372036854775808ns', '2562047h47m16.854775808s', '99999999999999999999999s'])(
    '"%s" is past the range: DURATION-range',
    (text) => {
      expect(idOf(text)).toBe('DURATION-range');
    },
  );

  test('the empty string is no timeout', () => {
    expect(parseDuration('')).toBeUndefined();
  });
});

describe('setLongTimeout', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test("a delay beyond Node's timer range fires when due, not at once", () => {
    const fire = jest.fn();
    const ms = 597 * 3_600_000; // 597h: more than 2^31-1 ms
    setLongTimeout(fire, ms);
    jest.advanceTimersByTime(1);
    expect(fire).not.toHaveBeenCalled();
    jest.advanceTimersByTime(MAX_TIMER_MS);
    expect(fire).not.toHaveBeenCalled();
    jest.advanceTimersByTime(ms - MAX_TIMER_MS - 2);
    expect(fire).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fire).toHaveBeenCalledTimes(1);
  });

  test('cancelling stops it at any step', () => {
    const fire = jest.fn();
    const cancel = setLongTimeout(fire, 3 * MAX_TIMER_MS);
    jest.advanceTimersByTime(MAX_TIMER_MS + 5);
    cancel();
    jest.advanceTimersByTime(3 * MAX_TIMER_MS);
    expect(fire).not.toHaveBeenCalled();
  });
});
