/**
 * Replica benchmark: what a second replica and PostgreSQL cost or buy.
 *
 *   npx tsx bench/replicas.ts [--commands 50] [--rounds 5] [--dispatches 20]
 *
 * 1. Acknowledgement latency of N concurrent `/deploy tasks` slash commands (signed, through Bolt's
 *    HTTP endpoint of real bot processes on one throwaway PostgreSQL), all to one replica vs spread
 *    over two. p50 and p99 over every round, rounds interleaved.
 * 2. Dispatch latency (approved → running: created_at → started_at of a test-environment deploy,
 *    which is approved at once) in one bot runtime on SQLite vs on PostgreSQL.
 * Prints ratios against the baseline of the same run (1 replica; SQLite), then one JSON line.
 */
import { createAppContext } from '../src/app-context.js';
import { loadConfig } from '../src/config.js';
import { DeployTask } from '../src/db/entities/index.js';
import { createRuntime } from '../src/runtime.js';
import { startReplica, type BotReplica } from '../test/support/bot-replica.js';
import { makeRepo } from '../test/support/git-repo.js';
import { freePort, startPostgresCluster } from '../test/support/db/postgres.js';
import { makeScratchDir, removeScratchDirs } from '../test/support/scratch-dirs.js';
import { startSlackApiStandIn } from '../test/support/slack/slack-api-stand-in.js';
import { sendSlashCommand } from '../test/support/slack/slack-requests.js';
import { round } from './support/stats.js';

const flag = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} needs a positive whole number`);
  return n;
};
const COMMANDS = flag('commands', 50);
const ROUNDS = flag('rounds', 5);
const DISPATCHES = flag('dispatches', 20);
const TOKEN = 'xoxb-bench-replicas';
const SECRET = '0123456789abcdef0123456789abcdef';

const percentile = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

const pg = await startPostgresCluster();
const replicas: BotReplica[] = [];
const standIn = await startSlackApiStandIn({ token: TOKEN });
try {
  // 1. Acknowledgement latency.
  const url = await pg.createDatabase();
  const env = (name: string) => ({
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: standIn.url,
    DATABASE_URL: url,
    DEPLOYBOT_SECRET_KEY: 'bench-replicas-shared-secret-key-000000',
    DEPLOYBOT_DATA_DIR: makeScratchDir(`deploybot-bench-${name}-`),
    DEPLOYBOT_ADMINS: 'UADMIN01',
    // info: startReplica waits for the "slack adapter listening" line.
    DEPLOYBOT_LOG_LEVEL: 'info',
  });
  replicas.push(await startReplica('a', await freePort(), env('a')), await startReplica('b', await freePort(), env('b')));
  const burst = async (targets: BotReplica[]) =>
    Promise.all(
      Array.from({ length: COMMANDS }, async (_, i) => {
        const res = await sendSlashCommand(targets[i % targets.length]!.baseUrl, SECRET, { text: 'tasks', user_id: 'UALICE01', user_name: 'alice', channel_id: 'C0DEPLOYS', response_url: standIn.responseUrl() });
        if (res.status !== 200) throw new Error(`ack ${res.status}`);
        return res.elapsedMs;
      }),
    );
  await burst(replicas); // warm-up: JIT, connection pools, Bolt's auth.test
  const acks: Record<'one' | 'two', number[]> = { one: [], two: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const which of r % 2 ? (['two', 'one'] as const) : (['one', 'two'] as const)) acks[which].push(...(await burst(which === 'one' ? [replicas[0]!] : replicas)));
  }
  await Promise.all(replicas.map((r) => r.stop()));

  // 2. Dispatch latency, SQLite vs PostgreSQL, in one runtime each.
  const repo = await makeRepo({ commits: [{ files: { 'index.html': 'v1\n' }, message: 'first', tag: 'v1' }] });
  const dispatch: Record<'sqlite' | 'postgresql', number[]> = { sqlite: [], postgresql: [] };
  for (const kind of ['sqlite', 'postgresql'] as const) {
    const dataDir = makeScratchDir(`deploybot-bench-dispatch-${kind}-`);
    const config = loadConfig({ DEPLOYBOT_DATA_DIR: dataDir, DEPLOYBOT_ADMINS: 'UADMIN01', DEPLOYBOT_LOG_LEVEL: 'error', DEPLOYBOT_SHELL_USER: 'UADMIN01', ...(kind === 'postgresql' ? { DATABASE_URL: await pg.createDatabase() } : {}) }, dataDir);
    const app = await createAppContext(config);
    const runtime = createRuntime(app, {});
    const admin = app.actor('UADMIN01');
    await app.withServices(async (s) => {
      // Port 9 on loopback refuses at once: the deploy fails right after it starts, which is all this measures.
      await s.servers.add(admin, { name: 'web-1', hostname: '127.0.0.1', port: 9, username: 'deploy', authKind: 'agent' });
      await s.projects.add(admin, { name: 'app', repoUrl: repo.url, deployPath: '/srv/bench/app', servers: ['web-1'] });
    });
    await runtime.begin();
    for (let i = 0; i < DISPATCHES + 2; i++) {
      const out = await runtime.executor.run(admin.id, 'app v1', { slackEscaped: false });
      if (out.kind !== 'task') throw new Error(`expected a task, got ${JSON.stringify(out).slice(0, 300)}`);
      const finished = runtime.events.waitForFinish(out.task.id);
      const row = await app.orm.em.fork().findOneOrFail(DeployTask, { id: out.task.id });
      await finished;
      const done = await app.orm.em.fork().findOneOrFail(DeployTask, { id: out.task.id });
      if (i >= 2 && done.startedAt) dispatch[kind].push(done.startedAt.getTime() - row.createdAt.getTime()); // first two: warm-up
    }
    await runtime.stop();
    await app.close();
  }
  repo.cleanup();

  const summary = {
    cores: (await import('node:os')).cpus().length,
    commands: COMMANDS,
    rounds: ROUNDS,
    ack_ms: {
      one_replica: { p50: round(percentile(acks.one, 50), 1), p99: round(percentile(acks.one, 99), 1) },
      two_replicas: { p50: round(percentile(acks.two, 50), 1), p99: round(percentile(acks.two, 99), 1) },
    },
    dispatch_ms: {
      sqlite: { p50: round(percentile(dispatch.sqlite, 50), 1), p99: round(percentile(dispatch.sqlite, 99), 1) },
      postgresql: { p50: round(percentile(dispatch.postgresql, 50), 1), p99: round(percentile(dispatch.postgresql, 99), 1) },
    },
  };
  console.log(`ack latency, ${COMMANDS} concurrent slash commands × ${ROUNDS} rounds:`);
  console.log(`  1 replica : p50 ${summary.ack_ms.one_replica.p50} ms, p99 ${summary.ack_ms.one_replica.p99} ms (baseline)`);
  console.log(`  2 replicas: p50 ${summary.ack_ms.two_replicas.p50} ms, p99 ${summary.ack_ms.two_replicas.p99} ms (×${round(percentile(acks.two, 50) / percentile(acks.one, 50), 2)} / ×${round(percentile(acks.two, 99) / percentile(acks.one, 99), 2)})`);
  console.log(`dispatch latency (approved → running), ${DISPATCHES} deploys:`);
  console.log(`  SQLite    : p50 ${summary.dispatch_ms.sqlite.p50} ms, p99 ${summary.dispatch_ms.sqlite.p99} ms (baseline)`);
  console.log(`  PostgreSQL: p50 ${summary.dispatch_ms.postgresql.p50} ms, p99 ${summary.dispatch_ms.postgresql.p99} ms (×${round(percentile(dispatch.postgresql, 50) / percentile(dispatch.sqlite, 50), 2)} / ×${round(percentile(dispatch.postgresql, 99) / percentile(dispatch.sqlite, 99), 2)})`);
  console.log(JSON.stringify(summary));
} finally {
  await Promise.all(replicas.map((r) => r.stop()));
  await standIn.close();
  await pg.stop();
  removeScratchDirs();
}
