import { marksAsText } from '../../src/core/mention.js';
/**
 * One racer for the concurrency tests: a real OS process on the shared database (SQLite or PostgreSQL). It reads one
 * JSON command per line on stdin and answers one JSON line per command on stdout, so the test can
 * send the same command to several racers at the same instant, over hundreds of rounds, without
 * paying a process start per attempt.
 * Usage: node --import tsx test/support/race-child.ts <DATABASE_URL> <data dir>
 */
import { createInterface } from 'node:readline';
import { servicesFor } from '../../src/core/services.js';
import { openDatabase } from '../../src/db/orm.js';
import { databaseConfig } from './db/database.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { newOwnerId } from '../../src/store/owner.js';
import { TaskStore } from '../../src/store/task-store.js';

const [url, dataDir] = process.argv.slice(2);
const orm = await openDatabase(databaseConfig(url!));
const secrets = SecretBox.fromDataDir(dataDir!);
const store = new TaskStore(orm, newOwnerId('bot'), { leaseMs: 30_000 });

type Command =
  | { op: 'approve' | 'reject' | 'cancel'; taskId: number; actor: string; admin?: boolean }
  | { op: 'rollback'; project: string; actor: string; admin?: boolean }
  | { op: 'claim'; taskIds: number[]; delayMs?: number };

async function run(cmd: Command): Promise<unknown> {
  const services = servicesFor(orm.em.fork(), { secrets });
  switch (cmd.op) {
    case 'approve':
      return services.tasks.approve({ id: cmd.actor, isAdmin: cmd.admin ?? false }, cmd.taskId);
    case 'reject':
      return services.tasks.reject({ id: cmd.actor, isAdmin: cmd.admin ?? false }, cmd.taskId, 'not now');
    case 'cancel':
      return services.tasks.cancel({ id: cmd.actor, isAdmin: cmd.admin ?? false }, cmd.taskId);
    case 'rollback':
      return services.tasks.requestRollback({ id: cmd.actor, isAdmin: cmd.admin ?? false }, cmd.project, undefined);
    case 'claim': {
      // A dispatcher's pass: the oldest ready task of the project first, as the coordinator does.
      if (cmd.delayMs) await new Promise((resolve) => setTimeout(resolve, cmd.delayMs));
      for (const id of cmd.taskIds) if (await store.claim(id)) return { claimed: id };
      return { claimed: null };
    }
  }
}

process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line) as Command;
  try {
    const value = await run(cmd);
    process.stdout.write(`${JSON.stringify({ ok: true, value })}\n`);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: marksAsText(err instanceof Error ? err.message : String(err)) })}\n`);
  }
}
await orm.close();
