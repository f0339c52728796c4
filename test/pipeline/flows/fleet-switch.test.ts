import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskProgress } from '../../../src/chat/task-progress.js';
import { Release, TaskHost } from '../../../src/db/entities/index.js';
import { admin } from '../../support/db/database.js';
import { createDeployFixture, type DeployFixture } from '../../support/deploy-fixture.js';

/**
 * The switch after the barrier: all servers at once, then after_deploy in batches of `parallel`,
 * on real sshd. Faults are injected inside one server (its `mv` replaced in its own namespace).
 */
describe('fleet-wide switch, after_deploy in batches', () => {
  let f: DeployFixture;
  let v1: string;
  beforeAll(async () => {
    f = await createDeployFixture({ servers: 3, project: { maxParallel: 1 } });
    v1 = (await f.deploy('v1')).task.releaseId!;
  });
  afterAll(() => f?.close());
  const setHooks = (hooks: Record<string, string>) =>
    f.db.services().projects.setHooks(admin, 'app', { before_download: '', after_download: '', before_deploy: '', after_deploy: '', ...hooks });
  const allOn = (release: string) => [0, 1, 2].forEach((i) => expect(f.current(i), `web-${i + 1}`).toBe(release));
  const ran = (i: number, name: string) => existsSync(join(f.servers[i]!.hostDir, name));

  it('removes leftovers of interrupted runs (.partial uploads, temporary links) at the next deploy', async () => {
    const host = f.servers[0]!.hostDir;
    mkdirSync(join(host, 'releases', '.20200101000000-1-abcdef0.partial', 'deep'), { recursive: true });
    writeFileSync(join(host, 'releases', '.20200101000000-1-abcdef0.partial', 'deep', 'half.bin'), 'x');
    symlinkSync('releases/20200101000000-1-abcdef0', join(host, '.current.20200101000000-1-abcdef0.tmp'));
    const { outcome } = await f.deploy('v1');
    expect(outcome.status).toBe('success');
    expect(readdirSync(join(host, 'releases')).filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect(readdirSync(host).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    v1 = outcome.releaseId!;
  });

  it('switches every server in one fleet-wide step and reports the skew', async () => {
    const { task, outcome } = await f.deploy('v2');
    expect(outcome.status).toBe('success');
    allOn(task.releaseId!);
    expect(outcome.switchSkewMs).toBeTypeOf('number');
    const fleet = f.recorded.find((e) => e.taskId === task.id && e.type === 'fleet.switched');
    expect(fleet).toMatchObject({ servers: 3, of: 3, release: task.releaseId });
    // Every rename ran before any after_deploy started, although parallel is 1.
    const mine = f.recorded.filter((e) => e.taskId === task.id);
    const lastSwitch = mine.findLastIndex((e) => e.type === 'host.stage.finished' && e.stage === 'switch');
    const firstHook = mine.findIndex((e) => e.type === 'host.stage.started' && e.stage === 'after_deploy');
    expect(lastSwitch).toBeLessThan(firstHook);
    // A task read back from the database (after a restart) still shows its switch and skew.
    const rows = await f.db.em().find(TaskHost, { task: task.id });
    const stored = TaskProgress.fromRecords(task, rows).snapshot().fleetSwitch!;
    expect(stored).toMatchObject({ servers: 3, of: 3 });
    expect(stored.skewMs).toBeGreaterThanOrEqual(0);
    v1 = task.releaseId!;
  });

  it('parallel=1, after_deploy failing on the first server: later batches never run, every server ends on the previous release', async () => {
    await setHooks({
      after_deploy: '[ -n "$DEPLOY_ROLLBACK" ] && { touch "$DEPLOY_PATH/.restored-$DEPLOY_SERVER"; exit 0; }\n' + 'touch "$DEPLOY_PATH/.ran-$DEPLOY_SERVER"\n' + '[ "$DEPLOY_SERVER" = web-1 ] && exit 4\n' + 'exit 0',
    });
    const { task, outcome } = await f.deploy('v3');
    expect(outcome.status).toBe('failed');
    expect(task.error).toMatch(/after_deploy: exited with code 4 on web-1; the servers that had switched were switched back to their previous release \(after_deploy never ran on 2 of them\)/);
    expect(ran(0, '.ran-web-1')).toBe(true);
    expect(ran(1, '.ran-web-2')).toBe(false);
    expect(ran(2, '.ran-web-3')).toBe(false);
    allOn(v1);
    // Only where after_deploy ran for the new release is it run again for the old one.
    expect([0, 1, 2].map((i) => ran(i, `.restored-web-${i + 1}`))).toEqual([true, false, false]);
    const rows = await f.db.em().find(TaskHost, { task: task.id }, { orderBy: { serverName: 'asc' } });
    expect(rows.map((r) => r.stages.after_deploy?.state)).toEqual(['failed', 'skipped', 'skipped']);
    expect(rows.map((r) => r.stages.switch?.state)).toEqual(['done', 'done', 'done']);
    const current = await f.db.em().find(Release, { isCurrent: true });
    expect(new Set(current.map((r) => r.releaseId))).toEqual(new Set([v1]));
    await setHooks({});
  });

  it('a server whose link drops right after the rename is read back as serving the new release, and switched back', async () => {
    await setHooks({ after_deploy: 'exit 0' });
    // On web-2, the first rename of `current` succeeds and then the SSH session is killed.
    await f.servers[1]!.wrapProgram(
      '/usr/bin/mv',
      [
        '"$REAL" "$@"; rc=$?',
        'for last; do :; done',
        'case "$last" in */current) ;; *) exit $rc ;; esac',
        'flag="$(dirname "$last")/.dropped-once"',
        '[ -e "$flag" ] && exit $rc',
        'touch "$flag"',
        // Walk up to this session's sshd process and kill it: the connection drops at once.
        'p=$PPID; while [ "$p" -gt 1 ]; do if [ "$(cat /proc/$p/comm)" = sshd ]; then kill -9 "$p"; break; fi; p=$(cut -d" " -f4 /proc/$p/stat); done',
        'exit $rc',
      ].join('\n'),
    );
    const { task, outcome } = await f.deploy('v3');
    const release = task.releaseId!;
    expect(existsSync(join(f.servers[1]!.hostDir, '.dropped-once'))).toBe(true);
    expect(outcome.status).toBe('failed');
    const web2 = await f.db.em().findOneOrFail(TaskHost, { task: task.id, serverName: 'web-2' });
    expect(web2.stage).toBe('switch');
    expect(web2.error).toMatch(new RegExp(`lost the SSH connection to web-2.*read back after reconnecting: it serves ${release}`));
    // Switch-back covers it (its switch "failed" but it served the new release), then all are on v1.
    const back = f.recorded.filter((e) => e.taskId === task.id && e.type === 'host.rolled_back').map((e) => (e as { host: string }).host).sort();
    expect(back).toEqual(['web-1', 'web-2', 'web-3']);
    allOn(v1);
    expect(outcome.hosts.map((h) => h.release)).toEqual([v1, v1, v1]);
    await setHooks({});
  });

  it('a switch-back that fails on a healthy server is reported for that server', async () => {
    // web-3 renames `current` once (the switch) and refuses every rename after it (the switch-back).
    await f.servers[2]!.wrapProgram(
      '/usr/bin/mv',
      [
        'for last; do :; done',
        'case "$last" in */current) ;; *) exec "$REAL" "$@" ;; esac',
        'flag="$(dirname "$last")/.renamed-once"',
        '[ -e "$flag" ] && { echo "mv: disk on fire" >&2; exit 1; }',
        'touch "$flag"',
        'exec "$REAL" "$@"',
      ].join('\n'),
    );
    await setHooks({ after_deploy: '[ -z "$DEPLOY_ROLLBACK" ] && [ "$DEPLOY_SERVER" = web-1 ] && exit 5; exit 0' });
    const { task, outcome } = await f.deploy('v3');
    expect(outcome.status).toBe('failed');
    expect(task.error).toMatch(/after_deploy: exited with code 5 on web-1; switching back failed on web-3 \(.*disk on fire.*\), which still serves the new release; the others were switched back/);
    const web3 = await f.db.em().findOneOrFail(TaskHost, { task: task.id, serverName: 'web-3' });
    expect(web3.status).toBe('failed');
    expect(web3.error).toMatch(/switching back to .* failed/);
    expect(f.current(0)).toBe(v1);
    expect(f.current(1)).toBe(v1);
    expect(f.current(2)).toBe(task.releaseId);
    expect(outcome.hosts.find((h) => h.name === 'web-3')).toMatchObject({ release: task.releaseId });
    const web3Current = await f.db.em().findOneOrFail(Release, { isCurrent: true, server: { name: 'web-3' } });
    expect(web3Current.releaseId).toBe(task.releaseId);
  });
});
