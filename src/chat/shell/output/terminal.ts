import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { clearLine, createInterface, cursorTo, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** Returned by `read` when the user pressed Ctrl-C at a question (not at the command prompt). */
export const CANCELLED: unique symbol = Symbol('cancelled');
export type ReadResult = string | null | typeof CANCELLED;

export interface TerminalOptions {
  input: Readable;
  output: Writable;
  /** A person is typing: show prompts, keep history, hide password input. */
  interactive: boolean;
  /** Where command lines are kept between sessions (interactive sessions only). */
  historyFile?: string;
  completer?: (line: string) => [string[], string];
}

interface Waiter {
  resolve(line: ReadResult): void;
  command: boolean;
  hidden: boolean;
}

type ReadlineInternals = { _writeToOutput(s: string): void; history?: string[] };

const HISTORY_LIMIT = 1000;

/**
 * The shell's line I/O over readline. Lines are queued as they arrive (piped input delivers them
 * all at once) and handed out one `read` at a time, so a question asked by a command (server add,
 * y/N) takes the next line typed, as a person expects. `print` writes above the prompt without
 * disturbing what is being typed, so deploy progress can appear while the prompt stays usable.
 */
export class Terminal {
  readonly interactive: boolean;
  private readonly rl: Interface;
  private readonly tty: boolean;
  private readonly queue: string[] = [];
  private waiter: Waiter | undefined;
  private ended = false;
  private muted = false;
  private lastRecorded: string | undefined;

  constructor(private readonly options: TerminalOptions) {
    this.interactive = options.interactive;
    this.tty = options.interactive && (options.input as Readable & { isTTY?: boolean }).isTTY === true;
    const history = this.tty && options.historyFile ? loadHistory(options.historyFile) : [];
    this.lastRecorded = history[0];
    this.rl = createInterface({
      input: options.input,
      ...(this.tty ? { output: options.output, terminal: true, history, historySize: HISTORY_LIMIT, removeHistoryDuplicates: true } : { terminal: false }),
      ...(this.tty && options.completer ? { completer: options.completer } : {}),
      crlfDelay: Infinity,
    });
    if (this.tty) {
      // Hidden input (passwords): echo nothing but the line break.
      const internals = this.rl as unknown as ReadlineInternals;
      const write = internals._writeToOutput.bind(this.rl);
      internals._writeToOutput = (s: string) => {
        if (!this.muted) write(s);
        else if (/[\r\n]/.test(s)) write('\r\n');
      };
    }
    this.rl.on('line', (line) => this.deliver(line));
    this.rl.on('close', () => {
      this.ended = true;
      this.take()?.resolve(null);
    });
    this.rl.on('SIGINT', () => this.interrupt());
  }

  /**
   * The next line: a command (`command: true`, kept in the history) or the answer to a question.
   * `null` at end of input (Ctrl-D, EOF); CANCELLED when Ctrl-C abandons a question.
   */
  read(prompt: string, options: { command?: boolean; hidden?: boolean } = {}): Promise<ReadResult> {
    const queued = this.queue.shift();
    if (queued !== undefined) {
      if (!this.interactive && !options.command) this.options.output.write(`${prompt}\n`);
      return Promise.resolve(this.accept(queued, options.command === true));
    }
    if (this.ended) return Promise.resolve(null);
    return new Promise<ReadResult>((resolve) => {
      this.waiter = { resolve, command: options.command === true, hidden: options.hidden === true };
      if (this.tty) {
        this.rl.setPrompt(prompt);
        this.rl.prompt();
        this.muted = options.hidden === true;
      } else if (this.interactive || !options.command) {
        // Piped answers: show the question, so the transcript reads like the conversation.
        this.options.output.write(this.interactive ? prompt : `${prompt}\n`);
      }
    });
  }

  /** Writes lines above the prompt (if one is showing) and redraws it with what was typed so far. */
  print(text: string): void {
    const out = this.options.output;
    if (this.tty && this.waiter && !this.muted) {
      clearLine(out, 0);
      cursorTo(out, 0);
      out.write(`${text}\n`);
      this.rl.prompt(true);
      return;
    }
    out.write(`${text}\n`);
  }

  /** Gives the terminal to a child process (the editor) and takes it back afterwards. */
  async suspend<T>(fn: () => Promise<T>): Promise<T> {
    const input = this.options.input as Readable & { isTTY?: boolean; setRawMode?(mode: boolean): void };
    this.rl.pause();
    if (this.tty) input.setRawMode?.(false);
    try {
      return await fn();
    } finally {
      if (this.tty) input.setRawMode?.(true);
      this.rl.resume();
    }
  }

  close(): void {
    this.rl.close();
  }

  private take(): Waiter | undefined {
    const waiter = this.waiter;
    this.waiter = undefined;
    this.muted = false;
    return waiter;
  }

  private deliver(line: string): void {
    const waiter = this.take();
    if (!waiter) {
      this.queue.push(line);
      return;
    }
    if (waiter.hidden) this.forget(line);
    waiter.resolve(this.accept(line, waiter.command));
  }

  private accept(line: string, command: boolean): string {
    if (command) this.record(line);
    return line;
  }

  /** Keeps interactive command lines in the history file (0600: commands can name hosts and paths). */
  private record(line: string): void {
    const file = this.options.historyFile;
    const text = line.trim();
    if (!this.tty || !file || text === '' || text === this.lastRecorded || /[\r\n]/.test(text)) return;
    this.lastRecorded = text;
    try {
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, `${text}\n`, { mode: 0o600 });
    } catch {
      // History is a convenience: a read-only data dir must not break the shell.
    }
  }

  /** A password typed at a hidden prompt never stays in the in-memory history. */
  private forget(line: string): void {
    const history = (this.rl as unknown as ReadlineInternals).history;
    if (history && history[0] === line) history.shift();
  }

  private interrupt(): void {
    const out = this.options.output;
    const waiter = this.waiter;
    if (waiter && !waiter.command) {
      out.write('^C\n');
      this.take()?.resolve(CANCELLED);
      return;
    }
    const typed = this.rl.line !== '';
    this.rl.write(null, { ctrl: true, name: 'e' });
    this.rl.write(null, { ctrl: true, name: 'u' });
    out.write(typed ? '^C\n' : '^C\n(To leave, type exit or press Ctrl-D.)\n');
    if (waiter) this.rl.prompt();
  }
}

function loadHistory(file: string): string[] {
  try {
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
    return lines.slice(-HISTORY_LIMIT).reverse();
  } catch {
    return [];
  }
}
