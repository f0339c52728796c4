/**
 * Arguments of the one-shot CLI: `deploybot [--json] [--as <user>] [--yes] <command…>`. Pure.
 *
 * The options are recognised before the command and anywhere after it (`deploybot server list
 * --json`); `--` ends them. Words are joined back into one command line; a `key=value` word whose
 * value holds spaces (the shell removed the user's quotes) is quoted again for the grammar.
 */
export interface CliArgs {
  json: boolean;
  yes: boolean;
  as?: string;
  /** Return as soon as the command is recorded: never claim or wait for the task (a bot runs it). */
  noWait: boolean;
  /** Stop waiting after this many seconds. */
  timeoutSeconds?: number;
  help: boolean;
  version: boolean;
  /** The command text, as it would be typed after `/deploy`. */
  command: string;
}

export type CliParse = { ok: true; args: CliArgs } | { ok: false; error: string };

export const EXIT = {
  ok: 0,
  /** The deploy, rollback or retry ran and failed (or was cancelled). */
  failed: 1,
  /** The command was refused: bad syntax, not allowed, unknown name, self-approval not confirmed. */
  refused: 2,
  /** deploybot could not do its job: invalid configuration, database, internal error. */
  internal: 3,
  /** Recorded, but not run yet: the deploy waits for approval, is scheduled, or --no-wait left it to a bot. */
  pending: 4,
  /** Stopped waiting (--timeout, Ctrl-C) while the task was queued or ran in another process: it goes on there. */
  stillRunning: 5,
} as const;

export const CLI_USAGE = `Usage:
  deploybot                        start the bot (Slack), or the interactive shell when no Slack tokens are set
  deploybot [options] <command…>   run one command; wait for the deploy, rollback or retry it starts; exit

Options:
  --json          print the outcome as JSON on stdout (progress goes to stderr)
  --no-wait       return once the command is recorded; a running bot or shell runs the task
  --timeout <s>   stop waiting after s seconds (a task running here is first stopped at a safe point)
  --as <user>     act as this user (default: DEPLOYBOT_SHELL_USER, or the OS user)
  -y, --yes       confirm approving a deploy you requested yourself
  -h, --help      this help and the command list
  -V, --version   the version

Exit codes:
  0  done (the deploy succeeded)
  1  the deploy, rollback or retry failed or was cancelled
  2  refused: bad command, not allowed, unknown name, self-approval not confirmed
  3  deploybot could not run: invalid configuration, database or internal error
  4  recorded but not run yet: the deploy waits for approval, is scheduled, or --no-wait
  5  stopped waiting (--timeout or Ctrl-C) while the task was queued or ran in another process

Examples:
  deploybot server list
  deploybot api v1.2.0
  deploybot --as bob approve 12
  deploybot --json status 12
  deploybot wait 12                waits for task 12 wherever it runs (starts it if it is ready)`;

export function parseCliArgs(argv: readonly string[]): CliParse {
  const args: CliArgs = { json: false, yes: false, noWait: false, help: false, version: false, command: '' };
  const words: string[] = [];
  let optionsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (optionsEnded) {
      words.push(arg);
      continue;
    }
    if (arg === '--') {
      optionsEnded = true;
      continue;
    }
    if (arg === '--json') args.json = true;
    else if (arg === '--yes' || arg === '-y') args.yes = true;
    else if (arg === '--no-wait') args.noWait = true;
    else if (arg === '--timeout' || arg.startsWith('--timeout=')) {
      const value = arg === '--timeout' ? argv[++i] : arg.slice('--timeout='.length);
      const seconds = Number(value);
      if (!value || !Number.isFinite(seconds) || seconds <= 0) return { ok: false, error: '--timeout needs a number of seconds: --timeout 600' };
      args.timeoutSeconds = seconds;
    } else if (arg === '--help' || arg === '-h') args.help = true;
    else if (arg === '--version' || arg === '-V') args.version = true;
    else if (arg === '--as' || arg.startsWith('--as=')) {
      const value = arg === '--as' ? argv[++i] : arg.slice('--as='.length);
      if (!value || value.startsWith('-')) return { ok: false, error: '--as needs a user name: --as <user>' };
      args.as = value;
    } else if (words.length === 0 && /^--?[A-Za-z]/.test(arg)) {
      return { ok: false, error: `unknown option ${arg}` };
    } else words.push(arg);
  }
  args.command = words.map(requote).join(' ');
  return { ok: true, args };
}

function requote(word: string): string {
  const m = /^([A-Za-z_][A-Za-z0-9_-]*)=(.*)$/s.exec(word);
  if (!m || !/[\s"']/.test(m[2]!) || /^["'“‘]/.test(m[2]!)) return word;
  return `${m[1]}="${m[2]!.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
