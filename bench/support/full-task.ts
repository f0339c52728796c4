import { newOwnerId } from '../../src/store/owner.js';
import { TaskStore } from '../../src/store/task-store.js';
import { cpSync } from 'node:fs';
import { DeployCoordinator } from '../../src/core/tasks/deploy-coordinator.js';
import { silentLogger } from '../../src/log.js';
import { directFanout } from '../../src/pipeline/distribution/distributor.js';
import { PipelineEvents, type PipelineEvent } from '../../src/pipeline/events.js';
import { GitMirrors } from '../../src/pipeline/git/git.js';
import { TaskRunner } from '../../src/pipeline/flows/task-runner.js';
import { Redactor } from '../../src/redact.js';
import { admin, createTestDatabase } from '../../test/support/db/database.js';
import { makeRepo } from '../../test/support/git-repo.js';
import { makeScratchDir, removeScratchDir } from '../../test/support/scratch-dirs.js';
import type { TestKeyPair } from '../../test/support/ssh-keys.js';
import type { TestSshd } from '../../test/support/sshd.js';
import { onCleanup } from './cleanup.js';
import { BENCH_ROOT } from './servers.js';

/** Where the full-task projects deploy, inside BENCH_ROOT (which every server serves from its own directory). */
export const fullTaskPath = (project: 'bench' | 'warmup') => `${BENCH_ROOT}/${project}`;

export interface FullTaskTiming {
  totalS: number;
  /** The runner's own task duration (task.finished durationMs). */
  runnerS: number;
  /** Task stages (start = connect all, download = git export, package) and host-stage phases. */
  stagesS: Record<string, number>;
  /** Size of the artifact the task packaged (from its progress events). */
  artifactBytes: number | null;
  /** The fleet-wide switch's skew, first to last server switched, as the runner measured it. */
  switchSkewMs: number | null;
}

export interface FullTaskBench {
  /** One whole deploy of `project` (TaskRunner + DeployCoordinator, as the bot runs it). */
  deploy(project: 'bench' | 'warmup'): Promise<FullTaskTiming>;
  close(): Promise<void>;
}

/**
 * The real release engine wired like test/support/deploy-fixture.ts (real SQLite database, real
 * git repository, TaskRunner + DeployCoordinator + directFanout), but on the bench's servers and
 * with the bench's workspace committed as the repository's content. A second, tiny project
 * ("warmup") on the same servers warms the ORM, git and SSH paths. The bench repository's mirror
 * is cloned beforehand (not timed).
 */
export async function createFullTaskBench(servers: readonly TestSshd[], key: TestKeyPair, workspace: string, maxParallel: number): Promise<FullTaskBench> {
  const repo = await makeRepo();
  onCleanup('removing the bench git repo', () => repo.cleanup());
  cpSync(workspace, repo.dir, { recursive: true });
  await repo.git('add', '--all');
  await repo.git('commit', '--quiet', '-m', 'bench workspace');
  const tiny = await makeRepo({ commits: [{ files: { 'index.html': 'warm up\n' }, message: 'tiny' }] });
  onCleanup('removing the warm-up git repo', () => tiny.cleanup());

  const db = await createTestDatabase({ defaultKeyPath: key.privateKeyPath });
  onCleanup('closing the bench database', () => db.close());
  const dataDir = makeScratchDir('deploybot-bench-data-');
  onCleanup('removing the bench data dir', () => removeScratchDir(dataDir));

  const names = servers.map((_, i) => `web-${i + 1}`);
  for (const [i, s] of servers.entries()) {
    await db.services().servers.add(admin, { name: names[i]!, hostname: s.host, port: s.port, username: s.username });
  }
  // Two projects never share a deploy path: each gets its own directory inside what the servers serve.
  for (const [name, r] of [['bench', repo], ['warmup', tiny]] as const) {
    await db.services().projects.add(admin, { name, repoUrl: r.url, deployPath: fullTaskPath(name), servers: names, keepReleases: 2, maxParallel, onFailure: 'rollback' });
  }

  const redactor = new Redactor();
  const events = new PipelineEvents();
  const git = new GitMirrors(dataDir, { redactor });
  // Steady state, as for every deploy but a project's first: the bot already has the mirror and
  // only fetches (the timed download stage = fetch + rev-parse + `git archive | tar -x`).
  await git.ensureMirror(repo.url);
  const store = new TaskStore(db.orm, newOwnerId('bot'), { leaseMs: 30_000 });
  const runner = new TaskRunner({
    store,
    orm: db.orm,
    dataDir,
    git,
    events,
    log: silentLogger,
    redactor,
    distributor: directFanout,
    ssh: { connectTimeoutMs: 10_000, keepaliveIntervalMs: 5_000 },
    hookTimeoutMs: 60_000,
  });
  const coordinator = new DeployCoordinator({ orm: db.orm, runner, events, log: silentLogger, redactor, secrets: db.secrets, defaultKeyPath: key.privateKeyPath });
  onCleanup('stopping the coordinator', () => coordinator.stop());

  return {
    async deploy(project) {
      const seen: PipelineEvent[] = [];
      const off = events.on((e) => seen.push(e));
      try {
        const t0 = performance.now();
        const task = await db.services().tasks.requestDeploy(admin, { project, ref: 'main' });
        const finished = events.waitForFinish(task.id);
        await coordinator.dispatch();
        const outcome = await (coordinator.whenFinished(task.id) ?? finished);
        const totalS = (performance.now() - t0) / 1000;
        if (outcome.status !== 'success') throw new Error(`full task ${task.id} ended ${outcome.status}: ${outcome.error ?? ''}`);
        const progress = seen.find((e): e is Extract<PipelineEvent, { type: 'progress' }> => e.type === 'progress');
        const fleet = seen.find((e): e is Extract<PipelineEvent, { type: 'fleet.switched' }> => e.type === 'fleet.switched');
        return { totalS, runnerS: outcome.durationMs / 1000, stagesS: stageTimes(seen), artifactBytes: progress?.totalBytes ?? null, switchSkewMs: fleet?.skewMs ?? null };
      } finally {
        off();
      }
    },
    close: async () => undefined, // everything is registered with onCleanup
  };
}

/** Task stages by their own durations; host stages that ran as phases (first start → last finish). */
function stageTimes(events: readonly PipelineEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  const started = new Map<string, number>();
  const phases = new Map<string, { from: number; to: number }>();
  for (const e of events) {
    if (e.type === 'stage.finished' && e.state !== 'skipped') out[e.stage] = e.durationMs / 1000;
    if (e.type === 'host.stage.started') started.set(`${e.host}\0${e.stage}`, e.at.getTime());
    if (e.type === 'host.stage.finished' && e.state !== 'skipped') {
      const from = started.get(`${e.host}\0${e.stage}`) ?? e.at.getTime() - e.durationMs;
      const p = phases.get(e.stage) ?? { from, to: e.at.getTime() };
      p.from = Math.min(p.from, from);
      p.to = Math.max(p.to, e.at.getTime());
      phases.set(e.stage, p);
    }
  }
  for (const [stage, p] of phases) out[`${stage}_phase`] = (p.to - p.from) / 1000;
  return out;
}
