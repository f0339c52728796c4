import { describe, expect, it } from 'vitest';
import { cronMatches, parseCron } from '../../../src/core/gates/cron-match.js';
import { activeFreeze, nextStart, occurrenceEnd, type FreezeRule } from '../../../src/core/gates/freeze-windows.js';

const at = (iso: string) => new Date(iso);

describe('cron expressions', () => {
  it('reads lists, ranges, steps, names and Sunday as 0 or 7', () => {
    const c = parseCron('*/15 8-18/2 * jan,dec mon-fri');
    expect([...c.minute]).toEqual([0, 15, 30, 45]);
    expect([...c.hour]).toEqual([8, 10, 12, 14, 16, 18]);
    expect([...c.month]).toEqual([1, 12]);
    expect([...c.weekday]).toEqual([1, 2, 3, 4, 5]);
    expect([...parseCron('0 0 * * 7').weekday]).toEqual([0]);
  });

  it('matches day-of-month or day-of-week when both are restricted, as cron does', () => {
    const c = parseCron('0 12 1 * fri');
    expect(cronMatches(c, { minute: 0, hour: 12, day: 1, month: 3, weekday: 2 })).toBe(true);
    expect(cronMatches(c, { minute: 0, hour: 12, day: 9, month: 3, weekday: 5 })).toBe(true);
    expect(cronMatches(c, { minute: 0, hour: 12, day: 9, month: 3, weekday: 4 })).toBe(false);
  });

  it('refuses what is not cron, saying which field is wrong', () => {
    expect(() => parseCron('0 18 * *')).toThrow(/5 fields/);
    expect(() => parseCron('0 25 * * *')).toThrow(/hour field "25" is not valid: use 0–23/);
    expect(() => parseCron('0 18 * * funday')).toThrow(/weekday field/);
    expect(() => parseCron('*/0 * * * *')).toThrow(/bad step/);
  });
});

describe('freeze windows', () => {
  const weekend: FreezeRule = { id: 1, projectId: null, cron: '0 18 * * 5', durationSeconds: 62 * 3600, timeZone: 'Europe/Paris', reason: 'weekend' };
  const holidays: FreezeRule = { id: 2, projectId: 7, startsAt: at('2026-12-24T00:00:00Z'), endsAt: at('2026-12-27T00:00:00Z'), timeZone: 'UTC', reason: 'holidays' };

  it('a recurring window in a named zone: Friday 18:00 Paris for 62 h', () => {
    // Friday 2026-12-04 18:00 in Paris is 17:00 UTC (CET); 62 h later is Monday 08:00 Paris.
    expect(occurrenceEnd(weekend, at('2026-12-04T16:59:00Z'))).toBeNull();
    expect(occurrenceEnd(weekend, at('2026-12-04T17:00:00Z'))).toEqual(at('2026-12-07T07:00:00Z'));
    expect(occurrenceEnd(weekend, at('2026-12-06T12:00:00Z'))).toEqual(at('2026-12-07T07:00:00Z'));
    expect(occurrenceEnd(weekend, at('2026-12-07T07:00:00Z'))).toBeNull();
    expect(nextStart(weekend, at('2026-12-07T07:00:00Z'))).toEqual(at('2026-12-11T17:00:00Z'));
    // Summer time: 18:00 Paris is 16:00 UTC.
    expect(occurrenceEnd(weekend, at('2026-07-03T16:00:00Z'))).toEqual(at('2026-07-06T06:00:00Z'));
  });

  it('a one-off window holds only its project, from its start to its end', () => {
    expect(activeFreeze([holidays], 7, at('2026-12-25T10:00:00Z'))).toMatchObject({ id: 2, reason: 'holidays', endsAt: at('2026-12-27T00:00:00Z'), allProjects: false });
    expect(activeFreeze([holidays], 8, at('2026-12-25T10:00:00Z'))).toBeNull();
    expect(activeFreeze([holidays], 7, at('2026-12-27T00:00:00Z'))).toBeNull();
  });

  it('of two windows in force, the one that ends last is the one that holds', () => {
    // Saturday 26 December: both the holidays and the weekend freeze are in force.
    const both = activeFreeze([holidays, weekend], 7, at('2026-12-26T12:00:00Z'));
    expect(both).toMatchObject({ id: 1, reason: 'weekend', allProjects: true, endsAt: at('2026-12-28T07:00:00Z') });
  });
});
