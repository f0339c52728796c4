import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

export interface RaceAnswer {
  ok: boolean;
  // Each command answers its own shape; the tests read the fields they asked for.
  value?: any;
  error?: string;
}

/** K racer processes (test/support/race-child.ts) on one SQLite file. */
export interface Racers {
  /** Sends one command to every racer (or one per racer) at once; resolves with every answer. */
  race(commands: object | object[]): Promise<RaceAnswer[]>;
  close(): Promise<void>;
}

export async function startRacers(count: number, databasePath: string): Promise<Racers> {
  const children: { child: ChildProcessByStdio<Writable, Readable, null>; next: () => Promise<string> }[] = [];
  for (let i = 0; i < count; i++) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/race-child.ts', databasePath, dirname(databasePath)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: string[] = [];
    const waiting: ((line: string) => void)[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    });
    const next = () => new Promise<string>((resolve) => (lines.length ? resolve(lines.shift()!) : waiting.push(resolve)));
    children.push({ child, next });
  }
  for (const c of children) if ((await c.next()) !== 'ready') throw new Error('racer did not start');
  return {
    async race(commands) {
      const list = Array.isArray(commands) ? commands : children.map(() => commands);
      const answers = children.map((c) => c.next());
      // All writes first, in one tick: the racers receive them at the same moment.
      children.forEach((c, i) => c.child.stdin.write(`${JSON.stringify(list[i])}\n`));
      return (await Promise.all(answers)).map((l) => JSON.parse(l) as RaceAnswer);
    },
    async close() {
      await Promise.all(children.map((c) => new Promise((resolve) => {
        c.child.once('exit', resolve);
        c.child.stdin.end();
      })));
    },
  };
}
