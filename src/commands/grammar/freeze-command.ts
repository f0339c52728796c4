import { parseScheduleTime } from './command-time.js';
import { subVerb } from './command-setup.js';
import type { Command, ScheduleTime } from './command-types.js';
import { FREEZE_VERBS } from './command-usage.js';
import { parseTaskId, type Cursor } from './command-values.js';

/**
 * `freeze add <project|all> from <time> to <time> reason="…" [tz=<zone>]`,
 * `freeze add <project|all> cron="…" for=<duration> reason="…" [tz=<zone>]`,
 * `freeze list [<project>]`, `freeze remove <id>`.
 */
export function parseFreeze(cur: Cursor, raw: string): Command {
  const verb = subVerb(cur, 'freeze', FREEZE_VERBS);
  switch (verb) {
    case 'help':
      cur.end();
      return { kind: 'help', topic: 'freeze', raw };
    case 'list': {
      const scope = cur.optionalWord('<project>');
      cur.end();
      return scope === undefined ? { kind: 'freeze-list', raw } : { kind: 'freeze-list', scope, raw };
    }
    case 'remove': {
      const id = parseTaskId(cur.word('<id>'), (m) => cur.fail(m.replace('task', 'freeze window')));
      cur.end();
      return { kind: 'freeze-remove', id, raw };
    }
    case 'add':
      return parseFreezeAdd(cur, raw);
  }
}

function parseFreezeAdd(cur: Cursor, raw: string): Command {
  const scope = cur.word('<project|all>');
  const options: Record<string, string> = {};
  const times: Partial<Record<'from' | 'to', string[]>> = {};
  let current: 'from' | 'to' | null = null;
  for (let token = cur.next(); token !== undefined; token = cur.next()) {
    if (token.option) {
      const key = token.option.key;
      if (!['reason', 'cron', 'for', 'tz'].includes(key)) cur.fail(`Unknown option \`${token.option.typedKey}=\` for \`freeze add\`. Options: reason= cron= for= tz=.`);
      if (key in options) cur.fail(`Option \`${key}=\` is given twice.`);
      options[key] = token.option.value;
      current = null;
      continue;
    }
    const word = token.text.toLowerCase();
    if (!token.quoted && (word === 'from' || word === 'to')) {
      if (times[word]) cur.fail(`\`${word}\` is given twice.`);
      current = word;
      times[word] = [];
      continue;
    }
    if (current === null) cur.fail(`Unexpected \`${token.text}\`: write \`from <time> to <time>\`, or \`cron="…" for=<duration>\`.`);
    times[current]!.push(token.text);
  }
  const reason = options.reason?.trim();
  if (!reason) cur.fail('Say why deploys are frozen: `reason="…"`.');
  const at = (words: string[] | undefined, which: string): ScheduleTime | undefined => {
    if (words === undefined) return undefined;
    if (words.length === 0) cur.fail(`Missing time after \`${which}\`.`);
    return parseScheduleTime(words);
  };
  const base = { kind: 'freeze-add' as const, scope, reason, raw, ...(options.tz ? { tz: options.tz } : {}) };
  if (options.cron !== undefined) {
    if (times.from || times.to) cur.fail('A freeze is either one-off (`from … to …`) or recurring (`cron="…" for=<duration>`), not both.');
    if (options.for === undefined) cur.fail('A recurring freeze needs its length: `for=62h` (or `30m`, `2d`, `1d12h`).');
    return { ...base, cron: options.cron, durationSeconds: parseDuration(options.for, (m) => cur.fail(m)) };
  }
  if (options.for !== undefined) cur.fail('`for=` goes with `cron="…"`; a one-off freeze is `from <time> to <time>`.');
  const from = at(times.from, 'from');
  const to = at(times.to, 'to');
  if (!from || !to) cur.fail('A one-off freeze needs both ends: `from <time> to <time>`.');
  return { ...base, from, to };
}

/** `62h`, `30m`, `2d`, `1d12h30m` → seconds. */
export function parseDuration(text: string, fail: (message: string) => never): number {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/i.exec(text.trim());
  if (!m || !(m[1] || m[2] || m[3])) fail(`\`for=${text}\` is not a duration: write e.g. \`62h\`, \`30m\`, \`2d\` or \`1d12h\`.`);
  return (Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 3600 + Number(m[3] ?? 0) * 60;
}
