import { UserError } from '../../errors.js';
import type { ScheduleTime } from './command-types.js';
import { formatTime } from '../replies/formatting.js';

/** Offset of `timeZone` from UTC at instant `at`, in milliseconds (positive east of Greenwich). */
function zoneOffsetMs(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(at));
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) - Math.floor(at / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `timeZone` shows the given time. Checked twice because
 * the offset itself can change at that instant (daylight saving).
 */
export function wallTimeToDate(y: number, mo: number, d: number, h: number, mi: number, timeZone: string): Date {
  const naive = Date.UTC(y, mo - 1, d, h, mi);
  let at = naive - zoneOffsetMs(naive, timeZone);
  at = naive - zoneOffsetMs(at, timeZone);
  return new Date(at);
}

/** Today's date (y, m, d) as seen in `timeZone`. */
function todayIn(now: Date, timeZone: string): [number, number, number] {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return [n('year'), n('month'), n('day')];
}

/** Turns `at …` into an instant, refusing times that have passed (a deploy never runs "late" by surprise). */
export function resolveScheduleTime(at: ScheduleTime, defaultZone: string, now: Date = new Date(), options: { allowPast?: boolean } = {}): Date {
  const zone = at.tz ?? defaultZone;
  let when: Date;
  if (at.kind === 'time-of-day') {
    const [y, m, d] = todayIn(now, zone);
    when = wallTimeToDate(y, m, d, at.hour, at.minute, zone);
    if (options.allowPast) return when;
    if (when.getTime() <= now.getTime()) {
      const hh = `${String(at.hour).padStart(2, '0')}:${String(at.minute).padStart(2, '0')}`;
      throw new UserError(`${hh} has already passed today (${zone}): give a date too, e.g. \`at ${tomorrow(now, zone)} ${hh}\`.`, { schedule: 'this time has passed today' });
    }
    return when;
  }
  if (/(Z|[+-]\d{2}:\d{2})$/.test(at.iso)) {
    when = new Date(at.iso);
  } else {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(at.iso);
    if (!m) throw new UserError(`"${at.iso}" is not a date and time: write it as 2026-11-24 09:00.`);
    when = wallTimeToDate(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), zone);
  }
  if (Number.isNaN(when.getTime())) throw new UserError(`"${at.iso}" is not a valid date and time.`);
  if (!options.allowPast && when.getTime() <= now.getTime()) {
    throw new UserError(`${formatTime(when, zone)} is in the past: give a later time.`, { schedule: 'this time has passed' });
  }
  return when;
}

function tomorrow(now: Date, zone: string): string {
  const [y, m, d] = todayIn(new Date(now.getTime() + 24 * 3600_000), zone);
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}
