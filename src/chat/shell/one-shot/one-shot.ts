import { marksAsText } from '../../../core/mention.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createAppContext, type AppContext } from '../../../app-context.js';
import { ConfigError, loadConfig, type Config } from '../../../config.js';
import { errorMessage } from '../../../errors.js';
import { createRuntime, type Runtime } from '../../../runtime.js';
import { CLI_USAGE, EXIT, parseCliArgs } from './cli-args.js';
import { renderReply } from '../output/render-reply.js';
import { ShellSession, type LineResult, type ShellOutcome } from '../session.js';
import { makeStyle, wantsColor } from '../output/style.js';
import { TaskFollower } from './task-follower.js';
import { TaskMonitor, type WatchResult } from './task-monitor.js';
import { Terminal } from '../output/terminal.js';

export interface OneShotIO {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  env?: Record<string, string | undefined>;
  cwd?: string;
}


/**
 * `deploybot <command…>`: runs one command against the same database as the bot and the shell,
 * waits for the deploy, rollback or retry it starts (or approves), prints the result and returns
 * the exit code (EXIT in cli-args.ts). Never starts Slack, whatever tokens are set: it is a local
 * tool, acting as the shell user (or `--as`).
 */
export async function runOneShot(argv: readonly string[], io: OneShotIO = {}): Promise<number> {
  const stdin = io.stdin ?? process.stdin;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const say = (stream: Writable, text: string) => stream.write(`${text}\n`);

  const parsed = parseCliArgs(argv);
  if (!parsed.ok) {
    if (argv.includes('--json')) return sayJsonError(stdout, EXIT.refused, argv.join(' '), 'usage', parsed.error);
    say(stderr, `deploybot: ${parsed.error}\n\n${CLI_USAGE}`);
    return EXIT.refused;
  }
  const args = parsed.args;
  if (args.version) {
    say(stdout, version());
    return EXIT.ok;
  }
  if (args.help || args.command.trim() === '') {
    if (!args.help && args.json) return sayJsonError(stdout, EXIT.refused, '', 'usage', 'say which command to run');
    say(args.help ? stdout : stderr, args.help ? CLI_USAGE : `deploybot: say which command to run.\n\n${CLI_USAGE}`);
    return args.help ? EXIT.ok : EXIT.refused;
  }

  let config: Config;
  try {
    const loaded = loadConfig(env, io.cwd);
    // A local tool: never Slack; quiet logs unless asked for.
    config = { ...loaded, mode: 'shell', logLevel: env.DEPLOYBOT_LOG_LEVEL ? loaded.logLevel : 'warn' };
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : `deploybot: cannot read the configuration: ${errorMessage(err)}`;
    if (args.json) return sayJsonError(stdout, EXIT.internal, args.command, 'config', message);
    say(stderr, message);
    return EXIT.internal;
  }
  let context: AppContext;
  try {
    context = await createAppContext(config);
  } catch (err) {
    const message = `deploybot: cannot open the database (${config.database.kind === 'sqlite' ? config.database.path : 'DATABASE_URL'}): ${errorMessage(err)}`;
    if (args.json) return sayJsonError(stdout, EXIT.internal, args.command, 'database', message);
    say(stderr, message);
    return EXIT.internal;
  }

  // A one-shot command stays in its lane: it runs only the task it starts, approves or waits for.
  const runtime = createRuntime(context, { allowFileReads: true, ownerKind: 'cli', lane: 'own', pollMs: 500 });
  // Progress is conversation: on stdout, unless stdout carries the JSON answer.
  const progressOut = args.json ? stderr : stdout;
  const style = makeStyle(wantsColor(progressOut, env));
  const monitor = new TaskMonitor(runtime, { print: (t) => say(progressOut, t), style, snapshotsDir: join(config.dataDir, 'snapshots') });
  monitor.start();
  const tty = (stdin as { isTTY?: boolean }).isTTY === true && (stdout as { isTTY?: boolean }).isTTY === true && !args.json;
  let terminal: Terminal | undefined;
  const session = new ShellSession(runtime, {
    ask: (question, options) => (terminal ??= new Terminal({ input: stdin, output: stdout, interactive: true })).read(question, options),
    print: (t) => say(progressOut, t),
    style,
    canAsk: tty,
    interactive: tty,
    assumeYes: args.yes,
    suspend: (fn) => (terminal ? terminal.suspend(fn) : fn()),
    env,
  });

  try {
    const user = args.as ?? config.shellUser;
    const waitFor = /^wait\s+#?(\d+)$/i.exec(args.command.trim());
    if (waitFor) return await waitOnly(runtime, monitor, Number(waitFor[1]), args, { stdout, stderr, progressOut, style });
    const result = await session.run(args.command, user);
    terminal?.close();
    if (result.kind !== 'outcome') {
      const message = `\`${args.command}\` only means something in the interactive shell.`;
      if (args.json) return sayJsonError(stdout, EXIT.refused, args.command, 'user', message);
      say(stderr, `deploybot: ${message}`);
      return EXIT.refused;
    }
    return await finish(runtime, monitor, result, args, { stdout, stderr, progressOut, style });
  } catch (err) {
    if (args.json) return sayJsonError(stdout, EXIT.internal, args.command, 'internal', errorMessage(err));
    say(stderr, `deploybot: ${errorMessage(err)}`);
    return EXIT.internal;
  } finally {
    terminal?.close();
    monitor.stop();
    await runtime.stop().catch(() => undefined);
    await context.close().catch(() => undefined);
  }
}

async function finish(
  runtime: Runtime,
  monitor: TaskMonitor,
  result: Extract<LineResult, { kind: 'outcome' }>,
  args: { json: boolean; command: string; noWait: boolean; timeoutSeconds?: number },
  out: { stdout: Writable; stderr: Writable; progressOut: Writable; style: ReturnType<typeof makeStyle> },
): Promise<number> {
  const { outcome } = result;
  const refused = outcome.reply.isError === true;
  if (!args.json) {
    (refused ? out.stderr : out.stdout).write(`${renderReply(outcome.reply, { color: out.style.color })}\n`);
  }
  let watched: WatchResult | undefined;
  let gaveUp = false;
  if (result.follow && !args.noWait) {
    const waited = await waitForTask(runtime, monitor, result.follow.id, args, (t) => out.progressOut.write(`${t}\n`));
    watched = waited.watched;
    gaveUp = waited.gaveUp;
  }

  let code: number = refused ? (outcome.tier === 'internal' ? EXIT.internal : EXIT.refused) : EXIT.ok;
  if (watched) code = watched.outcome.status === 'success' ? EXIT.ok : EXIT.failed;
  else if (gaveUp) code = EXIT.stillRunning;
  else if (outcome.kind === 'task' && (['awaiting_approval', 'scheduled'].includes(outcome.task.status) || (args.noWait && result.follow))) code = EXIT.pending;

  if (watched && code !== EXIT.ok && !args.json) {
    const t = watched.task;
    out.stderr.write(`deploybot: ${t.kind} #${t.id} of ${t.project} ${watched.outcome.status === 'cancelled' ? 'was cancelled' : 'failed'}${watched.outcome.error ? `: ${watched.outcome.error}` : ''}\n`);
  }
  if (args.json) {
    const final = watched ? await runtime.app.withServices((s) => s.tasks.show(watched.task.id)).catch(() => watched.task) : undefined;
    // The bot's mention marks (core/mention.ts) as Slack's plain syntax: scripts read `<@U1>`.
    out.stdout.write(`${JSON.stringify(jsonAnswer(args.command, result.actor, outcome, code, watched, final), (_k, v: unknown) => (typeof v === 'string' ? marksAsText(v) : v), 2)}\n`);
  }
  return code;
}

/**
 * Waits for one task wherever it runs: here (this command claims it when its project is free, and
 * recovers the project's task whose owner died), or in another process (followed from the
 * database). Ctrl-C or --timeout stop a task running here at its next safe point, and only then
 * return, so this command never leaves a task it claimed without an owner; a task queued or running
 * elsewhere is simply left to go on.
 */
async function waitForTask(runtime: Runtime, monitor: TaskMonitor, taskId: number, args: { timeoutSeconds?: number }, note: (text: string) => void): Promise<{ watched?: WatchResult; gaveUp: boolean }> {
  const { coordinator, runner } = runtime;
  coordinator.adopt(taskId);
  coordinator.startTicker();
  void coordinator.dispatch();
  const follower = new TaskFollower(runtime, taskId, { note });
  const following = follower.run().catch(() => undefined);
  const watching = monitor.watch(taskId);
  let giveUp!: () => void;
  const gaveUp = new Promise<'gave-up'>((resolve) => (giveUp = () => resolve('gave-up')));
  const stopHere = (why: string) => {
    if (runner.isRunning(taskId)) {
      note(`${why}: stopping #${taskId} at its next safe point…`);
      runner.cancel(taskId);
    } else {
      note(`${why}: no longer waiting for #${taskId}; it goes on${coordinator.lane === 'own' ? ' (queued or in another process)' : ''}.`);
      giveUp();
    }
  };
  const onSignal = () => stopHere('interrupted');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const timer = args.timeoutSeconds ? setTimeout(() => stopHere(`--timeout ${args.timeoutSeconds}s ran out`), args.timeoutSeconds * 1000) : undefined;
  try {
    const first = await Promise.race([watching, gaveUp]);
    if (first === 'gave-up') return { gaveUp: true };
    return { watched: first, gaveUp: false };
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    follower.stop();
    await following;
  }
}

/** `deploybot wait <task>`: waits for a task someone else requested, as if this command had started it. */
async function waitOnly(
  runtime: Runtime,
  monitor: TaskMonitor,
  taskId: number,
  args: { json: boolean; command: string; timeoutSeconds?: number },
  out: { stdout: Writable; stderr: Writable; progressOut: Writable; style: ReturnType<typeof makeStyle> },
): Promise<number> {
  const task = await runtime.app.withServices((s) => s.tasks.show(taskId)).catch(() => null);
  if (!task) {
    out.stderr.write(`deploybot: there is no task #${taskId}.\n`);
    return EXIT.refused;
  }
  if (task.status === 'awaiting_approval' || task.status === 'pending') {
    out.stderr.write(`deploybot: #${taskId} waits for approval; nothing runs until an approver approves it.\n`);
    return EXIT.pending;
  }
  const waited = await waitForTask(runtime, monitor, taskId, args, (t) => out.progressOut.write(`${t}\n`));
  if (waited.gaveUp) return EXIT.stillRunning;
  const watched = waited.watched!;
  const code = watched.outcome.status === 'success' ? EXIT.ok : EXIT.failed;
  if (args.json) {
    const final = await runtime.app.withServices((s) => s.tasks.show(taskId)).catch(() => watched.task);
    out.stdout.write(`${JSON.stringify({ ok: code === EXIT.ok, exitCode: code, command: args.command, result: { status: watched.outcome.status, error: watched.outcome.error ?? null, releaseId: watched.outcome.releaseId, commit: watched.outcome.commit, durationMs: watched.outcome.durationMs, hosts: watched.outcome.hosts, snapshot: watched.snapshotPath ?? null }, task: final }, null, 2)}\n`);
  } else if (code !== EXIT.ok) {
    out.stderr.write(`deploybot: ${watched.task.kind} #${taskId} ${watched.outcome.status === 'cancelled' ? 'was cancelled' : watched.outcome.status}${watched.outcome.error ? `: ${watched.outcome.error}` : ''}\n`);
  }
  return code;
}

/**
 * A failure before or outside a command's answer (bad options, configuration, database), as JSON:
 * a script reading stdout always gets an object with `ok`, `exitCode` and `error`.
 */
function sayJsonError(stdout: Writable, exitCode: number, command: string, kind: 'usage' | 'config' | 'database' | 'user' | 'internal', message: string): number {
  stdout.write(`${JSON.stringify({ ok: false, exitCode, command, result: null, error: { kind, message } }, null, 2)}\n`);
  return exitCode;
}

/** `error` of a refused or failed command: what was wrong, its tier, the usage line, per-field notes. */
function jsonError(outcome: ShellOutcome, watched: WatchResult | undefined): unknown {
  if (watched && watched.outcome.status !== 'success') {
    return { kind: 'task', message: watched.outcome.error ?? `the ${watched.task.kind} ${watched.outcome.status === 'cancelled' ? 'was cancelled' : 'failed'}`, status: watched.outcome.status };
  }
  if (outcome.reply.isError !== true) return undefined;
  const usage = outcome.reply.blocks.find((b) => b.type === 'code');
  return {
    kind: outcome.tier ?? 'user',
    message: outcome.reply.text,
    ...(usage && usage.type === 'code' ? { usage: usage.text } : {}),
    ...(outcome.fields ? { fields: outcome.fields } : {}),
  };
}

function jsonAnswer(command: string, actor: string, outcome: ShellOutcome, exitCode: number, watched: WatchResult | undefined, task: unknown) {
  const error = jsonError(outcome, watched);
  const data = outcome.reply.data as { error?: unknown } | undefined;
  return {
    ok: exitCode === EXIT.ok,
    exitCode,
    command,
    actor,
    // What the command answered, as data: servers, projects, tasks, refs, a task's status…
    result: outcome.reply.isError === true ? null : (data ?? null),
    ...(error !== undefined ? { error } : {}),
    outcome: {
      kind: outcome.kind,
      ...(outcome.kind === 'task' ? { event: outcome.event, task: outcome.task } : {}),
      ...(outcome.kind === 'confirm-self-approval' ? { taskId: outcome.taskId } : {}),
      reply: { text: outcome.reply.text, blocks: outcome.reply.blocks, isError: outcome.reply.isError === true, rendered: renderReply(outcome.reply) },
    },
    ...(watched
      ? {
          result: {
            status: watched.outcome.status,
            error: watched.outcome.error ?? null,
            releaseId: watched.outcome.releaseId,
            commit: watched.outcome.commit,
            durationMs: watched.outcome.durationMs,
            hosts: watched.outcome.hosts,
            snapshot: watched.snapshotPath ?? null,
          },
          task,
        }
      : {}),
  };
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return `deploybot ${pkg.version ?? '?'}`;
  } catch {
    return 'deploybot';
  }
}
