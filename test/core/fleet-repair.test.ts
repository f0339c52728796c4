import { describe, expect, it } from 'vitest';
import { planRepair, type ServerReading } from '../../src/core/tasks/fleet-repair.js';

const r = (name: string, current: string | null, previous: string | null, switchStarted = true, reached = true): ServerReading => ({ name, current, previous, switchStarted, reached });

describe('planRepair', () => {
  it('does nothing before the barrier or when the fleet serves one release', () => {
    expect(planRepair([r('a', 'old', 'old', false), r('b', 'old', 'old', false)], 'rollback', 'new')).toBeNull();
    expect(planRepair([r('a', 'new', 'old'), r('b', 'new', 'old')], 'rollback', 'new')).toBeNull();
  });

  it('under rollback, moves every server that differs back to what it served before', () => {
    const plan = planRepair([r('a', 'new', 'old'), r('b', 'old', 'old'), r('c', null, null, false, false)], 'rollback', 'new');
    expect(plan).toEqual({ moves: new Map([['a', 'old']]), release: 'old', blocked: null });
  });

  it('counts a server on the task release as past the barrier even when no switch was recorded', () => {
    expect(planRepair([r('a', 'new', 'old', false), r('b', 'old', 'old', false)], 'rollback', 'new')?.moves).toEqual(new Map([['a', 'old']]));
  });

  it('under continue, completes the switch; refuses when a switched server has nothing to go back to', () => {
    expect(planRepair([r('a', 'new', 'old'), r('b', 'old', 'old')], 'continue', 'new')?.moves).toEqual(new Map([['b', 'new']]));
    expect(planRepair([r('a', 'new', null), r('b', 'old', 'old')], 'rollback', 'new')?.blocked).toMatch(/a had no release before/);
  });
});
