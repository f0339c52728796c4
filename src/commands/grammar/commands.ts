import { UserError } from '../../errors.js';
import { CommandSyntaxError, Lexer } from './command-lexer.js';
import { parseProject, parseServer } from './command-setup.js';
import { parseScheduleTime } from './command-time.js';
import { parseFreeze } from './freeze-command.js';
import type { Command, ParseOptions, ParseResult } from './command-types.js';
import { closest, GENERAL_USAGE, helpTopics, isHelpTopic, RESERVED_WORDS, usageFor, usageLineFor } from './command-usage.js';
import { Cursor, parseTaskId } from './command-values.js';

/**
 * The `/deploy` text grammar, parsed once for every adapter (Slack slash command, local shell).
 * Pure: no I/O, no clock. See HELP_TEXT for the language; command-types.ts for what it produces.
 *
 * Rules worth knowing:
 * - An empty command opens the deploy form; `help` prints help.
 * - A first word that is not a command word is a project: `/deploy web main`. A first word one typo
 *   away from a command word (`sever list`) is refused with a "did you mean" rather than read as a
 *   deploy; `/deploy deploy <project> <ref>` deploys a project whatever its name.
 * - Quoted words are never command words nor options: `"key=value"` is a plain value.
 * - `<reason…>` is taken as typed, to the end of the line.
 */

export type {
  ChannelRef,
  Command,
  CommandKind,
  CommandOf,
  DeployEnv,
  HookChanges,
  HookSource,
  OnFailure,
  ParseOptions,
  ParseResult,
  ProjectChanges,
  ProjectSettings,
  ScheduleTime,
  ServerAuth,
  ServerChanges,
} from './command-types.js';
export { HELP_TEXT, RESERVED_WORDS, usageFor } from './command-usage.js';

const PREFIX = /^\s*\/deploy(?=\s|$)/i;
const HELP_WORDS = ['help', '?', '-h', '--help'];

export function parseCommand(text: string, options: ParseOptions = {}): ParseResult {
  const raw = text;
  const body = text.replace(PREFIX, '').trim();
  const cursor = new Cursor(new Lexer(body, options.slackEscaped ?? true), null);
  try {
    return { ok: true, command: parseBody(cursor, body, raw) };
  } catch (err) {
    if (!(err instanceof CommandSyntaxError)) throw err;
    // A typo gets its suggestion and one usage line; other refusals the usage of their command.
    const usage = err.suggestion !== undefined ? usageLineFor(err.suggestion) : err.usagePath === null ? GENERAL_USAGE : usageFor(err.usagePath);
    const result: ParseResult = { ok: false, error: err.message, usage };
    if (err.suggestion !== undefined) result.suggestion = err.suggestion;
    return result;
  }
}

/** parseCommand for callers that funnel errors to the UserError handler (message: error + usage). */
export function parseCommandOrThrow(text: string, options: ParseOptions = {}): Command {
  const result = parseCommand(text, options);
  if (result.ok) return result.command;
  throw new UserError(`${result.error}\n\n${result.usage}`);
}

function parseBody(cur: Cursor, body: string, raw: string): Command {
  const first = cur.next();
  if (first === undefined) return { kind: 'deploy-modal', raw };
  const verb = first.text.toLowerCase();
  if (first.option !== undefined) {
    cur.fail(`\`${first.option.typedKey}=\` is not a command. Start with a command or a project name.`);
  }
  if (first.quoted) return parseDeploy(cur, first.text, raw);

  if (HELP_WORDS.includes(verb)) return parseHelp(cur, raw);
  switch (verb) {
    case 'server':
      return parseServer(cur, raw);
    case 'project':
      return parseProject(cur, raw);
    case 'freeze':
      return parseFreeze(cur, raw);
    case 'deploy':
      cur.path = 'deploy';
      return parseDeploy(cur, cur.word('<project>'), raw);
    case 'tasks': {
      cur.path = 'tasks';
      const project = cur.optionalWord('<project>');
      cur.end();
      return project === undefined ? { kind: 'tasks', raw } : { kind: 'tasks', project, raw };
    }
    case 'status':
    case 'cancel':
    case 'retry':
    case 'approve': {
      cur.path = verb;
      const taskId = parseTaskId(cur.word('<task>'), (m) => cur.fail(m));
      cur.end();
      return { kind: verb, taskId, raw };
    }
    case 'promote': {
      cur.path = verb;
      const taskId = parseTaskId(cur.word('<task>'), (m) => cur.fail(m));
      let override: string | undefined;
      for (let t = cur.next(); t !== undefined; t = cur.next()) {
        if (t.option === undefined) cur.fail(`Unexpected \`${t.text}\`. An admin promoting their own deploy writes \`promote ${taskId} override="why"\`.`);
        if (t.option.key !== 'override') cur.fail(`Unknown option \`${t.option.typedKey}=\` for \`promote\`. Options: override=.`);
        if (override !== undefined) cur.fail('Option `override=` is given twice.');
        if (t.option.value.trim() === '') cur.fail('Say why you override: `override="why"`.');
        override = t.option.value;
      }
      return override === undefined ? { kind: 'promote', taskId, raw } : { kind: 'promote', taskId, override, raw };
    }
    case 'reject': {
      cur.path = verb;
      const taskId = parseTaskId(cur.word('<task>'), (m) => cur.fail(m));
      const reason = cur.rest();
      if (reason === '') cur.fail('Say why: `reject <task> <reason…>`.');
      return { kind: 'reject', taskId, reason, raw };
    }
    case 'rollback': {
      cur.path = verb;
      const project = cur.word('<project>');
      const release = cur.optionalWord('<release>');
      cur.end();
      return release === undefined ? { kind: 'rollback', project, raw } : { kind: 'rollback', project, release, raw };
    }
    case 'refs':
    case 'releases':
    case 'unlock': {
      cur.path = verb;
      const project = cur.word('<project>');
      cur.end();
      return { kind: verb, project, raw };
    }
    case 'lock': {
      cur.path = verb;
      const project = cur.word('<project>');
      const reason = cur.rest();
      return reason === '' ? { kind: 'lock', project, raw } : { kind: 'lock', project, reason, raw };
    }
    default: {
      const near = verb.length >= 3 ? closest(verb, RESERVED_WORDS) : undefined;
      if (near !== undefined) {
        const rest = cur.rest();
        const suggestion = `${near}${rest === '' ? '' : ` ${rest}`}`;
        cur.fail(
          `Unknown command \`${first.text}\`. Did you mean \`/deploy ${suggestion}\`? ` +
            `(To deploy a project named \`${first.text}\`, write \`/deploy deploy ${first.text} <ref>\`.)`,
          suggestion,
        );
      }
      return parseDeploy(cur, first.text, raw);
    }
  }
}

function parseHelp(cur: Cursor, raw: string): Command {
  cur.path = 'help';
  const words: string[] = [];
  for (let t = cur.next(); t !== undefined; t = cur.next()) words.push(t.option ? `${t.option.typedKey}=` : t.text);
  if (words.length === 0) return { kind: 'help', raw };
  const topic = words.join(' ').toLowerCase().replace(/^\/deploy\b\s*/, '');
  if (topic === '') return { kind: 'help', raw };
  if (!isHelpTopic(topic)) {
    const near = closest(topic, helpTopics());
    cur.path = null;
    cur.fail(`No help on \`${topic}\`.${near ? ` Did you mean \`help ${near}\`?` : ''}`, near ? `help ${near}` : undefined);
  }
  return { kind: 'help', topic, raw };
}

function parseDeploy(cur: Cursor, project: string, raw: string): Command {
  cur.path = 'deploy';
  const refToken = cur.peek();
  if (refToken === undefined) cur.fail(`Which ref of \`${project}\`? e.g. \`/deploy ${project} main\`.`);
  if (refToken.option !== undefined) {
    cur.fail(`Unexpected \`${refToken.option.typedKey}=\`: write the ref as a word, e.g. \`/deploy ${project} main\`.`);
  }
  const ref = cur.word('<ref>');
  let override: string | undefined;
  let next = cur.next();
  // `override="why"` (an admin passing a gate) may come before `at <time>`.
  while (next?.option !== undefined) {
    if (next.option.key !== 'override') cur.fail(`Unknown option \`${next.option.typedKey}=\` for \`deploy\`. Options: override= (then \`at <time>\` to schedule).`);
    if (override !== undefined) cur.fail('Option `override=` is given twice.');
    if (next.option.value.trim() === '') cur.fail('Say why you override: `override="why"`.');
    override = next.option.value;
    next = cur.next();
  }
  const base = { kind: 'deploy' as const, project, ref, raw, ...(override !== undefined ? { override } : {}) };
  if (next === undefined) return base;
  if (next.quoted || next.text.toLowerCase() !== 'at') {
    cur.fail(`Unexpected \`${next.text}\` after the ref. To schedule, write \`at <time>\`.`);
  }
  const words: string[] = [];
  for (let t = cur.next(); t !== undefined; t = cur.next()) words.push(t.text);
  return { ...base, at: parseScheduleTime(words) };
}
