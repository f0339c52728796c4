import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The real entry point, as `npx deploybot` runs it (tsx over the sources when there is no dist/). */
export const BIN = fileURLToPath(new URL('../../../../bin/deploybot.mjs', import.meta.url));

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A deploybot process driven through its stdin/stdout, as a person (or a script) would. */
export interface DeploybotProcess {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Types one line. */
  send(line: string): void;
  /** Resolves with the stdout text once `pattern` appears after `from` (default: anywhere); fails with the transcript on timeout. */
  waitFor(pattern: RegExp | string, options?: { from?: number; timeoutMs?: number }): Promise<string>;
  /** Closes stdin (Ctrl-D / end of a piped script). */
  end(): void;
  exited: Promise<Exit>;
}

/**
 * The environment of a local run: no Slack variables (shell mode), no deploybot settings from the
 * machine, a fresh data dir, no colours.
 */
export function deploybotEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('SLACK_') || k.startsWith('DEPLOYBOT_') || k === 'DATABASE_URL' || k === 'NODE_OPTIONS' || k.startsWith('VITEST')) continue;
    env[k] = v;
  }
  return { ...env, DEPLOYBOT_DATA_DIR: dataDir, NO_COLOR: '1', DEPLOYBOT_LOG_LEVEL: 'warn', ...extra };
}

export interface StartOptions {
  env: Record<string, string>;
  cwd: string;
  /** Everything stdin will carry (then closed), for a piped script. */
  input?: string;
  /** Run on a pseudo-terminal (`script`), as a person at a terminal would. */
  tty?: boolean;
}

export function startDeploybot(args: string[], options: StartOptions): DeploybotProcess {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = options.tty
    ? spawn('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], { env: { TERM: 'xterm', ...options.env }, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, [BIN, ...args], { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const l of listeners) l();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<Exit>((resolve) => child.once('close', (code) => resolve({ code, stdout: out, stderr: err })));
  if (options.input !== undefined) child.stdin.end(options.input);

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    send: (line) => child.stdin.write(`${line}\n`),
    end: () => child.stdin.end(),
    exited,
    waitFor(pattern, { from = 0, timeoutMs = 30_000 } = {}) {
      const test = () => {
        const text = out.slice(from);
        return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
      };
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('close', onClose);
        };
        const check = () => {
          if (!test()) return;
          done();
          resolve(out.slice(from));
        };
        const onClose = () => {
          if (test()) return check();
          done();
          reject(new Error(`deploybot exited before printing ${String(pattern)}.\n--- stdout ---\n${out}\n--- stderr ---\n${err}`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${String(pattern)}.\n--- stdout ---\n${out}\n--- stderr ---\n${err}`));
        }, timeoutMs);
        listeners.add(check);
        child.once('close', onClose);
        check();
      });
    },
  };
}

/** Runs one command to completion (the one-shot CLI). */
export function runDeploybot(args: string[], options: StartOptions): Promise<Exit> {
  return startDeploybot(args, { ...options, input: options.input ?? '' }).exited;
}

/** True for a PNG file's bytes: the signature and an IHDR chunk with a non-empty size. */
export function isPng(bytes: Buffer): boolean {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return bytes.length > 33 && bytes.subarray(0, 8).equals(signature) && bytes.toString('latin1', 12, 16) === 'IHDR' && bytes.readUInt32BE(16) > 0 && bytes.readUInt32BE(20) > 0;
}
