import { spawn, type ChildProcess } from 'node:child_process';

/** One deploybot replica as a real OS process (`bin/deploybot.mjs`), in HTTP mode on its own port. */
export interface BotReplica {
  readonly name: string;
  readonly port: number;
  readonly baseUrl: string;
  child: ChildProcess;
  pid(): number;
  stderr(): string;
  exited: Promise<number | null>;
  /** Signals the process; SIGKILL gives it no chance to hand its leases over. */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

export async function startReplica(name: string, port: number, env: Record<string, string>): Promise<BotReplica> {
  const child = spawn(process.execPath, ['bin/deploybot.mjs'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DEPLOYBOT_FROM_SOURCE: '1', PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = Date.now() + 60_000;
  while (!stderr.includes('slack adapter listening')) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`replica ${name} did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    child,
    pid: () => child.pid!,
    stderr: () => stderr,
    exited,
    kill: (signal) => void child.kill(signal),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
