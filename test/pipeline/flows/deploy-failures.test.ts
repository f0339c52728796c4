import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployTask, Project, TaskHost } from '../../../src/db/entities/index.js';
import { admin } from '../../support/db/database.js';
import { BOT_SECRET, createDeployFixture, type DeployFixture } from '../../support/deploy-fixture.js';

describe('a deploy that fails leaves every server on a complete release', () => {
  let f: DeployFixture;
  let v1: string;
  beforeAll(async () => {
    f = await createDeployFixture({ servers: 3 });
    v1 = (await f.deploy('v1')).task.releaseId!;
  });
  afterAll(() => f?.close());
  const setHooks = (hooks: Record<string, string>) =>
    f.db.services().projects.setHooks(admin, 'app', { before_download: '', after_download: '', before_deploy: '', after_deploy: '', ...hooks });
  const allOn = (release: string) => [0, 1, 2].forEach((i) => expect(f.current(i)).toBe(release));

  it('a failing before_deploy on one server switches none, and says where and why', async () => {
    await setHooks({ before_deploy: 'if [ "$DEPLOY_SERVER" = web-2 ]; then echo "migration 42 broke" >&2; exit 3; fi' });
    const { task, outcome } = await f.deploy('v2');
    expect(outcome.status).toBe('failed');
    expect(task.status).toBe('failed');
    expect(task.error).toMatch(/before_deploy: exited with code 3 on web-2; no server was switched, 2 other servers stay on their current release/);
    allOn(v1);
    [0, 1, 2].forEach((i) => expect(f.releasesOn(i)).toEqual([v1])); // uploads discarded
    const web2 = await f.db.em().findOneOrFail(TaskHost, { task: task.id, serverName: 'web-2' });
    expect(web2).toMatchObject({ status: 'failed', stage: 'before_deploy', exitCode: 3 });
    expect(web2.output).toContain('migration 42 broke');
    const failure = f.recorded.find((e) => e.taskId === task.id && e.type === 'host.stage.finished' && e.state === 'failed');
    expect(failure).toMatchObject({ host: 'web-2', stage: 'before_deploy', exitCode: 3, outputTail: 'migration 42 broke' });
  });

  it('a failing after_deploy switches the already-switched servers back', async () => {
    await setHooks({ after_deploy: 'if [ "$DEPLOY_SERVER" = web-3 ] && [ -z "$DEPLOY_ROLLBACK" ]; then exit 1; fi' });
    const { task, outcome } = await f.deploy('v2');
    expect(outcome.status).toBe('failed');
    expect(task.error).toMatch(/after_deploy: exited with code 1 on web-3; the servers that had switched were switched back/);
    allOn(v1);
    expect(f.recorded.filter((e) => e.taskId === task.id && e.type === 'host.rolled_back').map((e) => (e as { host: string }).host).sort()).toEqual(['web-1', 'web-2', 'web-3']);
  });

  it('with on_failure=continue the healthy servers keep the new release', async () => {
    await f.db.services().projects.edit(admin, 'app', { onFailure: 'continue' });
    const { task, outcome } = await f.deploy('v2');
    expect(outcome.status).toBe('failed');
    expect(task.error).toMatch(/keep the new release/);
    expect(f.current(0)).toBe(task.releaseId);
    expect(outcome.hosts.find((h) => h.name === 'web-3')).toMatchObject({ failed: true });
    await f.db.services().projects.edit(admin, 'app', { onFailure: 'rollback' });
    await setHooks({});
    v1 = (await f.deploy('v1')).task.releaseId!;
  });

  it('captures hook output with secrets redacted and the bot environment scrubbed', async () => {
    process.env.SLACK_BOT_TOKEN = BOT_SECRET;
    process.env.DATABASE_URL = 'postgresql://user:hunter22@db/x';
    try {
      await setHooks({
        after_download: `echo "leaking ${BOT_SECRET} and xoxb-999-other-token-abcdef"; env | grep -c -E 'SLACK|DATABASE_URL|DEPLOYBOT' || true`,
        before_deploy: `echo "remote leak ${BOT_SECRET}"`,
      });
      const { task, outcome } = await f.deploy('v2');
      expect(outcome.status).toBe('success');
      const lines = f.recorded.filter((e) => e.taskId === task.id && e.type === 'output').map((e) => (e as { line: string }).line);
      expect(lines).toContain('leaking [redacted] and [redacted]');
      expect(lines).toContain('0'); // no SLACK_*, DATABASE_URL or DEPLOYBOT_* variable reached the hook
      expect(lines).toContain('remote leak [redacted]');
      const stored = (await f.db.em().find(TaskHost, { task: task.id })).map((h) => h.output).join('\n');
      expect(stored).toContain('remote leak [redacted]');
      expect(JSON.stringify(f.recorded)).not.toContain(BOT_SECRET);
      v1 = task.releaseId!;
    } finally {
      delete process.env.SLACK_BOT_TOKEN;
      delete process.env.DATABASE_URL;
      await setHooks({});
    }
  });

  it('cancel mid-run stops at a safe point and changes no server', async () => {
    await setHooks({ before_deploy: 'echo waiting; sleep 30' });
    const task = await f.start('v3');
    await new Promise<void>((resolve) => {
      const off = f.events.onTask(task.id, (e) => {
        if (e.type === 'output' && e.line === 'waiting') {
          off();
          resolve();
        }
      });
    });
    const started = Date.now();
    const { wasRunning } = await f.db.services().tasks.cancel(admin, task.id);
    expect(wasRunning).toBe(true);
    expect(f.coordinator.cancelRunning(task.id)).toBe(true);
    const outcome = await f.coordinator.whenFinished(task.id)!;
    expect(outcome.status).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(20_000);
    allOn(v1);
    [0, 1, 2].forEach((i) => expect(f.releasesOn(i)).not.toContain(outcome.releaseId));
    expect((await f.db.services().tasks.show(task.id))).toMatchObject({ status: 'cancelled', cancelledBy: admin.id });
    await setHooks({});
  });

  it('refuses an injected ref even if it reaches the pipeline without the service checks', async () => {
    const marker = `/tmp/deploybot-pwned-${process.pid}`;
    const em = f.db.em();
    const project = await em.findOneOrFail(Project, { name: 'app' });
    const forged = em.create(DeployTask, { project, ref: `--upload-pack=touch ${marker}`, status: 'approved', requestedBy: 'UEVIL', createdAt: new Date(), updatedAt: new Date() });
    await em.flush();
    await f.coordinator.dispatch();
    const outcome = await f.coordinator.whenFinished(forged.id)!;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/option|ref/i);
    expect(existsSync(marker)).toBe(false);
    allOn(v1);
  });
});

describe('servers that misbehave', () => {
  let f: DeployFixture;
  let v1: string;
  beforeAll(async () => {
    // Incompressible payload so the upload lasts long enough to kill a server in the middle of it.
    f = await createDeployFixture({ servers: 3, files: { 'blob.bin': randomBytes(24 * 1024 * 1024).toString('base64') } });
    v1 = (await f.deploy('v1')).task.releaseId!;
  });
  afterAll(() => f?.close());

  it('refuses a changed host key and changes nothing anywhere', async () => {
    const fresh = await f.servers[2]!.restartWithNewHostKey();
    const { task, outcome } = await f.deploy('v2');
    expect(outcome.status).toBe('failed');
    expect(task.error).toMatch(/host key changed for web-3/);
    expect(task.error).toMatch(/no server was changed/);
    [0, 1, 2].forEach((i) => expect(f.current(i)).toBe(v1));
    // After an admin forgets the old pin, the next deploy pins the new key and goes through.
    await f.db.services().servers.forgetHostKey(admin, 'web-3');
    const retry = await f.deploy('v2');
    expect(retry.outcome.status).toBe('success');
    expect((await f.db.services().servers.show('web-3')).hostKeyFingerprint).toBe(fresh);
    v1 = retry.task.releaseId!;
  });

  it('a server killed mid-upload fails the task and the others stay untouched', async () => {
    const task = await f.start('v3');
    await new Promise<void>((resolve) => {
      const off = f.events.onTask(task.id, (e) => {
        if (e.type === 'progress' && e.host === 'web-2' && e.bytes > 0) {
          off();
          void f.servers[1]!.kill().then(resolve);
        }
      });
    });
    const outcome = await f.coordinator.whenFinished(task.id)!;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/web-2/);
    expect(f.current(0)).toBe(v1);
    expect(f.current(2)).toBe(v1);
    expect(f.releasesOn(0)).toEqual([v1].concat(f.releasesOn(0).filter((r) => r !== v1)).sort());
    expect(f.releasesOn(0)).not.toContain(outcome.releaseId);
    expect(f.releasesOn(2)).not.toContain(outcome.releaseId);
  });
});

describe('password authentication', () => {
  let f: DeployFixture;
  beforeAll(async () => {
    f = await createDeployFixture({ servers: 1, passwordServer: 'correct horse battery staple' });
  });
  afterAll(() => f?.close());

  it('deploys to a server that only takes a password', async () => {
    const { outcome } = await f.deploy('v2');
    expect(outcome.status).toBe('success');
    expect(f.liveFile(0, 'index.html')).toBe('version 2\n');
    expect((await f.db.services().servers.show('web-1')).authKind).toBe('password');
  });
});
