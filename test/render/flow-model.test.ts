import { describe, expect, it } from 'vitest';
import { combinedState, countStage, emptyCounts, failedStage, hostState } from '../../src/render/flow-model.js';
import { host } from './support/fixtures.js';

const counts = (partial: Partial<ReturnType<typeof emptyCounts>>) => ({ ...emptyCounts(), ...partial });

describe('combinedState', () => {
  it.each([
    [{ failed: 1, done: 49 }, 'failed'],
    [{ running: 1, done: 49 }, 'running'],
    [{ done: 3, waiting: 2 }, 'running'],
    [{ waiting: 5 }, 'waiting'],
    [{ done: 4, skipped: 1 }, 'done'],
    [{ skipped: 5 }, 'skipped'],
    [{}, 'waiting'],
  ] as const)('%o → %s', (partial, state) => {
    expect(combinedState(counts(partial))).toBe(state);
  });
});

describe('hostState', () => {
  it('is done only when the switch is done', () => {
    expect(hostState(host('a'))).toBe('done');
    expect(hostState(host('a', 'after_deploy', 'skipped', { after: 'skipped' }))).toBe('done');
    expect(hostState(host('a', 'switch', 'skipped', { after: 'skipped' }))).toBe('skipped');
  });

  it('reports trouble and progress', () => {
    expect(hostState(host('a', 'before_deploy', 'failed'))).toBe('failed');
    expect(hostState(host('a', 'switch', 'running'))).toBe('running');
    expect(hostState(host('a', 'upload', 'waiting'))).toBe('waiting');
  });

  it('finds the failed stage and counts stages across hosts', () => {
    expect(failedStage(host('a', 'switch', 'failed'))).toBe('switch');
    expect(failedStage(host('a'))).toBeUndefined();
    const hosts = [host('a'), host('b', 'upload', 'failed'), host('c', 'upload', 'running')];
    expect(countStage(hosts, 'upload')).toEqual(counts({ done: 1, failed: 1, running: 1 }));
  });
});
