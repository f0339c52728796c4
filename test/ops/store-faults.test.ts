import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { recoverExpiredTasks } from '../../src/core/tasks/task-recovery.js';
import { silentLogger } from '../../src/log.js';
import { Redactor } from '../../src/redact.js';
import { newOwnerId } from '../../src/store/owner.js';
import { TaskStore } from '../../src/store/task-store.js';
import { createDeployFixture, type DeployFixture } from '../support/deploy-fixture.js';
import { faultyRecords, type StoreFault } from '../support/db/faulty-records.js';

/**
 * The database fails under a running deploy (a full disk, a writer holding the lock): whatever
 * the moment, every server ends on one complete release, and the task's final status and the
 * recorded releases say which.
 */
describe('store faults during a deploy', () => {
  let f: DeployFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  /** What the database says each server serves, beside what the servers say. */
  const truth = async (fx: DeployFixture) => ({
    recorded: (await fx.db.services().projects.liveReleases('app')).map((l) => l.release),
    servers: fx.servers.map((_, i) => fx.current(i)),
  });

  /** A disk that is full for `ms` from the first write `trigger` picks, then has room again. */
  const fullFor = (ms: number, trigger: (write: string, args: unknown[]) => boolean) => {
    let until = 0;
    const fault: StoreFault = {
      failing(write, args) {
        if (until === 0 && trigger(write, args)) until = Date.now() + ms;
        return until > 0 && Date.now() < until;
      },
    };
    return { fault, arm: () => (until = 0), disarm: () => (until = -1) };
  };

  it('a write failing during the upload stops the deploy at the barrier: no server switches, the upload is removed', async () => {
    const disk = fullFor(6000, (write) => write === 'addRelease');
    const { factory, log } = faultyRecords(disk.fault);
    f = await createDeployFixture({ servers: 3, records: factory });
    disk.disarm();
    const v1 = await f.deploy('v1');
    expect(v1.outcome.status).toBe('success');
    disk.arm();
    const { task, outcome } = await f.deploy('v2');
    expect(log.attempts.some((a) => a.write === 'addRelease' && a.failed)).toBe(true);
    expect(outcome.status).toBe('failed');
    expect(task.status).toBe('failed');
    expect(task.error).toMatch(/the database could not be written \(SQLITE_FULL: database or disk is full\); no server was switched/);
    const { recorded, servers } = await truth(f);
    expect(servers).toEqual([v1.task.releaseId, v1.task.releaseId, v1.task.releaseId]);
    expect(recorded).toEqual(servers);
    for (let i = 0; i < 3; i++) expect(f.releasesOn(i)).toEqual([v1.task.releaseId]);
  });

  it('a write failing in before_deploy, just before the barrier, switches no server', async () => {
    const disk = fullFor(6000, (write, args) => {
      const row = args[0] as { stage?: string; stages?: Record<string, { state: string }> } | undefined;
      return write === 'writeHost' && row?.stage === 'before_deploy' && row.stages?.before_deploy?.state === 'done';
    });
    f = await createDeployFixture({ servers: 3, records: faultyRecords(disk.fault).factory, project: { hooks: { before_deploy: 'sleep 0.2' } } });
    disk.disarm();
    const v1 = await f.deploy('v1');
    expect(v1.outcome.status).toBe('success');
    disk.arm();
    const { task } = await f.deploy('v2');
    expect(task.status).toBe('failed');
    expect(task.error).toMatch(/database could not be written.*no server was switched/);
    const { recorded, servers } = await truth(f);
    expect(servers).toEqual([v1.task.releaseId, v1.task.releaseId, v1.task.releaseId]);
    expect(recorded).toEqual(servers);
    for (let i = 0; i < 3; i++) expect(f.releasesOn(i)).toEqual([v1.task.releaseId]);
  });

  it('a write failing between two servers’ switches (parallel=1) completes the switch everywhere and records it once the disk is back', async () => {
    let failures = 0;
    // The first server's switch record fails (disk full), and so does everything for the next 2 s.
    let until = 0;
    const fault: StoreFault = {
      failing(write) {
        if (write === 'markCurrent' && until === 0) until = Date.now() + 2000;
        const failing = until > 0 && Date.now() < until;
        if (failing) failures++;
        return failing;
      },
    };
    f = await createDeployFixture({ servers: 3, records: faultyRecords(fault).factory, project: { maxParallel: 1, hooks: { after_deploy: 'sleep 0.3' } } });
    const v1 = await f.deploy('v1');
    expect(v1.outcome.status).toBe('success');
    const { task } = await f.deploy('v2');
    expect(failures).toBeGreaterThan(0);
    expect(task.status).toBe('success');
    const { recorded, servers } = await truth(f);
    expect(servers).toEqual([task.releaseId, task.releaseId, task.releaseId]);
    expect(recorded).toEqual(servers);
    // The history has v2 on top of v1 on every server, so a rollback goes to v1 everywhere.
    const rollback = await f.rollback();
    expect(rollback.task.status).toBe('success');
    expect(f.servers.map((_, i) => f!.current(i))).toEqual([v1.task.releaseId, v1.task.releaseId, v1.task.releaseId]);
  });

  it('a store that stays down after the switch: the fleet stays on the new release, and recovery records the truth', async () => {
    let armed = false;
    let down = false;
    const fault: StoreFault = {
      failing(write) {
        if (armed && write === 'markCurrent') down = true;
        return down;
      },
    };
    f = await createDeployFixture({ servers: 3, leaseMs: 1500, records: faultyRecords(fault).factory, project: { maxParallel: 1 } });
    const v1 = await f.deploy('v1');
    expect(v1.outcome.status).toBe('success');
    armed = true;
    const task = await f.start('v2');
    const outcome = await (f.coordinator.whenFinished(task.id) ?? f.events.waitForFinish(task.id));
    // The runner could not write its end: the task is left to whoever recovers it.
    expect(outcome.status).toBe('success');
    const servers = f.servers.map((_, i) => f!.current(i));
    expect(new Set(servers).size).toBe(1);
    expect(servers[0]).not.toBe(v1.task.releaseId);
    await new Promise((r) => setTimeout(r, 1600)); // the lease nobody renews expires
    const store = new TaskStore(f.db.orm, newOwnerId('cli'), { leaseMs: 10_000 });
    const recovered = await recoverExpiredTasks({ orm: f.db.orm, events: f.events, log: silentLogger, redactor: new Redactor([]), store, secrets: f.db.secrets, defaultKeyPath: f.key.privateKeyPath });
    expect(recovered).toEqual([task.id]);
    const after = await f.db.services().tasks.show(task.id);
    expect(after.status).toBe('interrupted');
    expect((await truth(f)).recorded).toEqual(servers);
  });

  it('a real SQLITE_BUSY (another process holds the write lock for 7 s) between two servers’ switches: one release everywhere, status success', async () => {
    f = await createDeployFixture({ servers: 3, project: { maxParallel: 1, hooks: { after_deploy: 'sleep 0.3' } } });
    const v1 = await f.deploy('v1');
    expect(v1.outcome.status).toBe('success');
    let holder: Promise<void> | null = null;
    const path = f.db.path;
    const off = f.events.on((e) => {
      if (e.type === 'host.stage.started' && e.stage === 'switch' && !holder) holder = holdWriteLock(path, 7000);
    });
    const { task } = await f.deploy('v2');
    off();
    expect(holder).not.toBeNull();
    await holder;
    expect(task.status).toBe('success');
    const { recorded, servers } = await truth(f);
    expect(servers).toEqual([task.releaseId, task.releaseId, task.releaseId]);
    expect(recorded).toEqual(servers);
  }, 60_000);
});

/** Another process takes SQLite's write lock (BEGIN IMMEDIATE) and holds it; resolves when it let go. */
function holdWriteLock(databasePath: string, holdMs: number): Promise<void> {
  const script = `
    const sqlite3 = require('sqlite3');
    const db = new sqlite3.Database(process.argv[1]);
    db.exec('BEGIN IMMEDIATE', (err) => {
      if (err) { console.log('error ' + err.message); process.exit(1); }
      console.log('locked');
      setTimeout(() => db.exec('COMMIT', () => db.close(() => console.log('released'))), Number(process.argv[2]));
    });`;
  const child = spawn(process.execPath, ['-e', script, databasePath, String(holdMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('error')) reject(new Error(line));
    });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`lock holder exited with ${code}`))));
  });
}
