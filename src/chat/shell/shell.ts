import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { errorMessage } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import { RESERVED_WORDS } from '../../commands/grammar/commands.js';
import { renderReply } from './output/render-reply.js';
import { ShellSession } from './session.js';
import { makeStyle, wantsColor } from './output/style.js';
import { TaskMonitor } from './one-shot/task-monitor.js';
import { CANCELLED, Terminal } from './output/terminal.js';

export interface ShellIO {
  input: Readable;
  output: Writable;
  /** Where the shell's own failures go (default: output). */
  error?: Writable;
  /** A person at a terminal (prompt, history, hidden passwords, colours if the output is a TTY). Default: both ends are TTYs. */
  interactive?: boolean;
}

export interface RunningShell {
  /** Closes the shell now (shutdown): does not wait for running deploys, the runtime's stop does. */
  stop(): Promise<void>;
  /** Resolves when the session is over: `exit`, Ctrl-D or end of input, once the deploys it follows have finished. */
  closed: Promise<void>;
  /** Non-empty lines read so far: none at the end of input means nobody was there to type (`docker run -d`). */
  linesRead(): number;
}

export const PROMPT = 'deploybot> ';

const SUBCOMMANDS: Record<string, string[]> = {
  server: ['add', 'list', 'show', 'edit', 'remove', 'check'],
  project: ['add', 'list', 'show', 'edit', 'remove', 'hooks'],
};

/**
 * The local console adapter: the /deploy commands at a `deploybot>` prompt, with replies as text and
 * live progress of every deploy this process runs. Reads lines until `exit`, `quit`, Ctrl-D or the
 * end of piped input, then waits for running deploys before `closed` resolves, so
 * `printf 'api v1\n' | deploybot` deploys and exits when done.
 */
export async function startShell(runtime: Runtime, io: ShellIO): Promise<RunningShell> {
  const isTty = (s: Readable | Writable) => (s as { isTTY?: boolean }).isTTY === true;
  const interactive = io.interactive ?? (isTty(io.input) && isTty(io.output));
  const style = makeStyle(wantsColor(io.output));
  const dataDir = runtime.app.config.dataDir;
  const terminal = new Terminal({ input: io.input, output: io.output, interactive, historyFile: join(dataDir, 'shell_history'), completer: complete });
  const print = (text: string) => terminal.print(text);
  const monitor = new TaskMonitor(runtime, { print, style, snapshotsDir: join(dataDir, 'snapshots') });
  monitor.start();
  const session = new ShellSession(runtime, {
    ask: (question, options) => terminal.read(question, options),
    print,
    style,
    canAsk: true,
    interactive,
    suspend: (fn) => terminal.suspend(fn),
  });

  let stopping = false;
  let linesRead = 0;
  let wakeStop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (wakeStop = resolve));

  if (interactive) {
    const actor = runtime.app.actor(session.shellUser);
    print(style.dim(`deploybot shell · acting as ${actor.id}${actor.isAdmin ? ' (admin)' : ''} · type help for commands, exit or Ctrl-D to leave`));
  }

  const loop = async () => {
    while (!stopping) {
      const line = await terminal.read(PROMPT, { command: true });
      if (line === null || stopping) {
        if (line === null && interactive && !stopping) io.output.write('\n'); // Ctrl-D leaves the cursor after the prompt
        break;
      }
      if (line === CANCELLED) continue;
      if (line.trim() !== '') linesRead++;
      try {
        const result = await session.run(line);
        if (result.kind === 'exit') break;
        if (result.kind === 'empty') continue;
        print(renderReply(result.outcome.reply, { color: style.color }));
        if (result.follow) void monitor.watch(result.follow.id);
      } catch (err) {
        // The executor already turns command failures into replies; this is the shell's own bug.
        (io.error ?? io.output).write(`deploybot shell: ${errorMessage(err)}\n`);
      }
    }
    terminal.close();
    const active = monitor.active();
    if (!stopping && active.length) {
      print(`Waiting for ${active.map((id) => `#${id}`).join(', ')} to finish…`);
      await Promise.race([monitor.idle(), stopped]);
    }
    monitor.stop();
  };
  const closed = loop();

  return {
    closed,
    linesRead: () => linesRead,
    async stop() {
      stopping = true;
      wakeStop();
      terminal.close();
      await closed;
    },
  };
}

/** Tab completion: command words first, then server/project verbs. */
function complete(line: string): [string[], string] {
  const words = line.replace(/^\s*\/deploy\s+/i, '').split(/\s+/);
  const last = words[words.length - 1] ?? '';
  const candidates = words.length === 1 ? [...RESERVED_WORDS, 'as', 'exit', 'quit'] : words.length === 2 ? (SUBCOMMANDS[words[0]!.toLowerCase()] ?? []) : [];
  const hits = candidates.filter((c) => c.startsWith(last.toLowerCase()));
  return [hits.map((h) => `${h} `), last];
}
