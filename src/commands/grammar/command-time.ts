import { CommandSyntaxError } from './command-lexer.js';
import type { ScheduleTime } from './command-types.js';

/**
 * `at <time>` of a deploy: `18:30`, `9:05 Europe/Paris`, `2026-11-24T09:00`, `2026-11-24 09:00 UTC`,
 * `2026-11-24T09:00:30+01:00`. Only the shape and the calendar are checked here; turning the value
 * into a Date (in the user's zone when none is given, "next 18:30") is the caller's job.
 */

const TIME = /^(\d{1,2}):(\d{2})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** ISO 8601 / RFC 3339: seconds, a fraction of them (`08.000`, what JavaScript's toISOString writes) and an offset are optional. */
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

const EXAMPLES = '`18:30`, `2026-11-24T09:00` or `2026-11-24 09:00 Europe/Paris`';
const USAGE = 'deploy';

function bad(message: string): never {
  throw new CommandSyntaxError(message, USAGE);
}

const pad = (n: number): string => String(n).padStart(2, '0');

function checkClock(text: string, hour: number, minute: number, second = 0): void {
  if (hour > 23 || minute > 59 || second > 59) bad(`\`${text}\` is not a valid time of day.`);
}

function checkDate(text: string, y: number, m: number, d: number): void {
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate(); // day 0 of the next month = last day of m
  if (m < 1 || m > 12 || d < 1 || d > days) bad(`\`${text}\` is not a valid date.`);
}

/** Canonical IANA name of a zone (`europe/paris` → `Europe/Paris`), or a clear error. */
export function canonicalTimeZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return bad(`\`${zone}\` is not a time zone I know (use an IANA name such as \`Europe/Paris\` or \`UTC\`).`);
  }
}

function withZone<T extends ScheduleTime>(value: T, zone: string | undefined): T {
  return zone === undefined ? value : { ...value, tz: canonicalTimeZone(zone) };
}

/** Parse the words that follow `at`. */
export function parseScheduleTime(words: readonly string[]): ScheduleTime {
  const [first, second, third, ...extra] = words;
  if (first === undefined) bad(`Missing time after \`at\`: write ${EXAMPLES}.`);
  const unexpected = (w: string | undefined): void => {
    if (w !== undefined) bad(`Unexpected \`${w}\` after the time: write ${EXAMPLES}.`);
  };

  const t = TIME.exec(first);
  if (t !== null) {
    const hour = Number(t[1]);
    const minute = Number(t[2]);
    checkClock(first, hour, minute);
    unexpected(third);
    return withZone({ kind: 'time-of-day', hour, minute }, second);
  }

  const dt = DATETIME.exec(first);
  if (dt !== null) {
    const [, y, mo, d, h, mi, s, fraction, z, sign, oh, om] = dt;
    checkDate(first, Number(y), Number(mo), Number(d));
    checkClock(first, Number(h), Number(mi), Number(s ?? 0));
    let offset = '';
    if (z !== undefined) offset = 'Z';
    if (sign !== undefined) {
      if (Number(oh) > 14 || Number(om) > 59) bad(`\`${first}\` has an invalid UTC offset.`);
      offset = `${sign}${oh}:${om}`;
    }
    if (offset !== '' && second !== undefined) bad(`\`${first}\` already has a UTC offset: drop \`${second}\`.`);
    unexpected(third);
    // Milliseconds are the finest a Date holds: a longer fraction is cut there.
    const ms = fraction === undefined ? '' : `.${fraction.slice(0, 3).padEnd(3, '0')}`;
    const iso = `${y}-${mo}-${d}T${pad(Number(h))}:${mi}${s === undefined ? '' : `:${s}${ms}`}${offset}`;
    return withZone({ kind: 'datetime', iso }, second);
  }

  const date = DATE.exec(first);
  if (date !== null) {
    const [, y, mo, d] = date;
    checkDate(first, Number(y), Number(mo), Number(d));
    const clock = second === undefined ? null : TIME.exec(second);
    if (clock === null || clock === undefined) bad(`Add a time to \`${first}\`, e.g. \`at ${first} 09:00\`.`);
    const hour = Number(clock[1]);
    const minute = Number(clock[2]);
    checkClock(second!, hour, minute);
    unexpected(extra[0]);
    return withZone({ kind: 'datetime', iso: `${y}-${mo}-${d}T${pad(hour)}:${clock[2]}` }, third);
  }

  return bad(`I can't read \`${words.join(' ')}\` as a time: write ${EXAMPLES}.`);
}
