import { cronMatches, parseCron, type CronFields, type WallClock } from './cron-match.js';

/** A freeze window as the gate reads it (a FreezeWindow row, or a test's literal). */
export interface FreezeRule {
  id: number;
  /** null: every project. */
  projectId: number | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
  cron?: string | null;
  durationSeconds?: number | null;
  timeZone: string;
  reason: string;
}

export interface ActiveFreeze {
  id: number;
  reason: string;
  /** When this occurrence ends: deploys held by it go on then. */
  endsAt: Date;
  timeZone: string;
  allProjects: boolean;
}

/** The longest recurring window: a freeze longer than two weeks is a one-off or a lock. */
export const MAX_RECURRING_SECONDS = 14 * 24 * 3600;
const MINUTE = 60_000;

/**
 * The freeze that holds `projectId` at `now`, if any: of the windows that cover now, the one that
 * ends last (held deploys go on only when every window has ended; a later check finds the next).
 */
export function activeFreeze(rules: readonly FreezeRule[], projectId: number, now: Date): ActiveFreeze | null {
  let found: ActiveFreeze | null = null;
  for (const rule of rules) {
    if (rule.projectId !== null && rule.projectId !== projectId) continue;
    const endsAt = occurrenceEnd(rule, now);
    if (endsAt && (!found || endsAt > found.endsAt)) found = { id: rule.id, reason: rule.reason, endsAt, timeZone: rule.timeZone, allProjects: rule.projectId === null };
  }
  return found;
}

/** When the occurrence of `rule` that covers `now` ends, or null when none does. */
export function occurrenceEnd(rule: FreezeRule, now: Date): Date | null {
  if (!rule.cron) {
    if (!rule.startsAt || !rule.endsAt) return null;
    return rule.startsAt <= now && now < rule.endsAt ? rule.endsAt : null;
  }
  const duration = Math.min(rule.durationSeconds ?? 0, MAX_RECURRING_SECONDS) * 1000;
  if (duration <= 0) return null;
  const cron = parseCron(rule.cron);
  const clock = wallClockReader(rule.timeZone);
  // The latest start at or before now within one duration: its end is the latest.
  for (let t = Math.floor(now.getTime() / MINUTE) * MINUTE; t > now.getTime() - duration; t -= MINUTE) {
    if (cronMatches(cron, clock(t))) return new Date(t + duration);
  }
  return null;
}

/** The next start of a recurring rule after `from` (for `freeze list`), within a year; null if none. */
export function nextStart(rule: FreezeRule, from: Date): Date | null {
  if (!rule.cron) return rule.startsAt && rule.startsAt > from ? rule.startsAt : null;
  const cron: CronFields = parseCron(rule.cron);
  const clock = wallClockReader(rule.timeZone);
  const start = Math.ceil(from.getTime() / MINUTE) * MINUTE;
  for (let t = start; t < start + 366 * 24 * 60 * MINUTE; t += MINUTE) if (cronMatches(cron, clock(t))) return new Date(t);
  return null;
}

/**
 * Wall-clock fields in a time zone, for minute after minute: the zone's offset is read once per
 * UTC hour (Intl is slow; offsets change on hour boundaries in practice), the rest is arithmetic.
 */
function wallClockReader(timeZone: string): (ms: number) => WallClock {
  const format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
  const offsets = new Map<number, number>();
  const offsetAt = (hourStart: number): number => {
    let offset = offsets.get(hourStart);
    if (offset === undefined) {
      const parts = Object.fromEntries(format.formatToParts(new Date(hourStart)).map((p) => [p.type, p.value]));
      const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
      offset = wall - hourStart;
      offsets.set(hourStart, offset);
    }
    return offset;
  };
  return (ms) => {
    const wall = new Date(ms + offsetAt(Math.floor(ms / 3_600_000) * 3_600_000));
    return { minute: wall.getUTCMinutes(), hour: wall.getUTCHours(), day: wall.getUTCDate(), month: wall.getUTCMonth() + 1, weekday: wall.getUTCDay() };
  };
}
