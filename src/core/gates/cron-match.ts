/**
 * A five-field cron expression (minute hour day-of-month month day-of-week), as node-cron and
 * crontab(5) read it: `*`, lists `1,15`, ranges `1-5`, steps `*\/15` or `8-18/2`, names for months
 * and days (`jan`, `fri`), and 7 for Sunday. Pure: matching takes wall-clock fields, so the caller
 * decides the time zone. Day-of-month and day-of-week combine as cron does: when both are
 * restricted, either may match.
 */
export interface CronFields {
  minute: Set<number>;
  hour: Set<number>;
  day: Set<number>;
  month: Set<number>;
  weekday: Set<number>;
  dayRestricted: boolean;
  weekdayRestricted: boolean;
}

export interface WallClock {
  minute: number;
  hour: number;
  day: number;
  month: number;
  /** 0 = Sunday. */
  weekday: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export class CronError extends Error {}

export function parseCron(expression: string): CronFields {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronError(`a cron expression has 5 fields (minute hour day month weekday), e.g. "0 18 * * 5"; got ${parts.length}`);
  const [minute, hour, day, month, weekday] = parts as [string, string, string, string, string];
  const weekdays = field(weekday, 0, 7, 'weekday', DAYS);
  if (weekdays.delete(7)) weekdays.add(0);
  return {
    minute: field(minute, 0, 59, 'minute'),
    hour: field(hour, 0, 23, 'hour'),
    day: field(day, 1, 31, 'day of month'),
    month: field(month, 1, 12, 'month', MONTHS, 1),
    weekday: weekdays,
    dayRestricted: day !== '*',
    weekdayRestricted: weekday !== '*',
  };
}

export function cronMatches(c: CronFields, t: WallClock): boolean {
  if (!c.minute.has(t.minute) || !c.hour.has(t.hour) || !c.month.has(t.month)) return false;
  const dayOk = c.day.has(t.day);
  const weekdayOk = c.weekday.has(t.weekday);
  if (c.dayRestricted && c.weekdayRestricted) return dayOk || weekdayOk;
  return dayOk && weekdayOk;
}

function field(text: string, min: number, max: number, what: string, names: string[] = [], nameBase = 0): Set<number> {
  const out = new Set<number>();
  const value = (v: string): number => {
    const named = names.indexOf(v.toLowerCase());
    const n = named >= 0 ? named + nameBase : /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new CronError(`the ${what} field "${text}" is not valid: use ${min}–${max}${names.length ? ' or a name' : ''}`);
    return n;
  };
  for (const item of text.split(',')) {
    const [range, stepText] = item.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new CronError(`the ${what} field "${text}" has a bad step`);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      [from, to] = [value(a), value(b)];
      if (from > to) throw new CronError(`the ${what} range "${range}" goes backwards`);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}
