import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/render/format-duration.js';

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [240, '240ms'],
    [999.6, '1.0s'],
    [1_234, '1.2s'],
    [59_949, '59.9s'],
    [59_960, '1m 00s'],
    [125_000, '2m 05s'],
    [3_599_600, '1h 00m'],
    [7_380_000, '2h 03m'],
    [-5, ''],
    [Number.NaN, ''],
  ])('%d ms → "%s"', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
