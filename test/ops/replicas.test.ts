import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_ACTIONS } from '../../src/chat/slack/action-ids.js';
import { servicesFor } from '../../src/core/services.js';
import { AuditEvent, DeployTask, Project } from '../../src/db/entities/index.js';
import { openDatabase, type Orm } from '../../src/db/orm.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { startReplica, type BotReplica } from '../support/bot-replica.js';
import { makeRepo, type TestRepo } from '../support/git-repo.js';
import { freePort, startPostgresCluster, type PostgresCluster } from '../support/db/postgres.js';
import { makeScratchDir, removeScratchDirs } from '../support/scratch-dirs.js';
import { RESPONSE_URL_METHOD, startSlackApiStandIn, type SlackApiStandIn } from '../support/slack/slack-api-stand-in.js';
import { sendBlockAction, sendSlashCommand } from '../support/slack/slack-requests.js';
import { generateKeyPair, type TestKeyPair } from '../support/ssh-keys.js';
import { ensureOpenSshServer, startSshd, type TestSshd } from '../support/sshd.js';

const TOKEN = 'xoxb-test-replicas-token';
const SECRET = '5be0c3a4d1f2e3a4b5c6d7e8f9a0b1c2';
const SECRET_KEY = 'replicas-share-this-secret-key-0123456789';
const CHANNEL = 'C0DEPLOYS';
const ROOT = '/srv/deploybot-test/app';
// Short enough to keep the test quick, long enough that a loaded 2-core machine still renews in time.
const LEASE_SECONDS = 6;
const ADMIN = 'UADMIN01';
const ALICE = 'UALICE01';
const BOB = 'UBOB0001';

/**
 * Two real bot processes in HTTP mode on one PostgreSQL, each on its own port, with Slack's requests
 * spread over both as a load balancer would: they behave as one bot.
 */
describe('two replicas on one PostgreSQL', () => {
  let pg: PostgresCluster;
  let url: string;
  let standIn: SlackApiStandIn;
  let servers: TestSshd[];
  let repo: TestRepo;
  let key: TestKeyPair;
  let orm: Orm;
  const replicas: BotReplica[] = [];
  let turn = 0;

  const env = (name: string): Record<string, string> => ({
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: standIn.url,
    DATABASE_URL: url,
    DEPLOYBOT_SECRET_KEY: SECRET_KEY,
    DEPLOYBOT_DATA_DIR: makeScratchDir(`deploybot-replica-${name}-`),
    DEPLOYBOT_SSH_KEY: key.privateKeyPath,
    DEPLOYBOT_ADMINS: ADMIN,
    DEPLOYBOT_TIMEZONE: 'UTC',
    DEPLOYBOT_LEASE_SECONDS: String(LEASE_SECONDS),
    DEPLOYBOT_LOG_LEVEL: 'info',
  });
  const start = async (name: string) => startReplica(name, await freePort(), env(name));

  beforeAll(async () => {
    await ensureOpenSshServer();
    key = await generateKeyPair();
    servers = await Promise.all([0, 1].map(() => startSshd({ authorizedKey: key.publicKey, deployRoot: ROOT })));
    repo = await makeRepo({
      commits: [
        { files: { 'index.html': 'version 1\n' }, message: 'first', tag: 'v1' },
        { files: { 'index.html': 'version 2\n' }, message: 'second', tag: 'v2' },
        { files: { 'index.html': 'version 3\n' }, message: 'third', tag: 'v3' },
      ],
    });
    pg = await startPostgresCluster();
    url = await pg.createDatabase();
    standIn = await startSlackApiStandIn({ token: TOKEN });
    // Started together: they migrate the empty database once, under the advisory lock.
    replicas.push(...(await Promise.all([start('a'), start('b')])));
    orm = await openDatabase({ kind: 'postgresql', url });
  }, 300_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await orm?.close(true);
    await standIn?.close();
    await Promise.all((servers ?? []).map((s) => s.stop()));
    repo?.cleanup();
    await pg?.stop();
    removeScratchDirs();
  });

  /** The next replica in turn: consecutive requests land on different processes. */
  const next = () => replicas[turn++ % replicas.length]!;
  const mark = () => standIn.calls().length;
  const after = (from: number) => standIn.calls().slice(from);
  const command = async (user: string, text: string) => {
    const responseUrl = standIn.responseUrl();
    const path = new URL(responseUrl).pathname;
    const to = next();
    const ack = await sendSlashCommand(to.baseUrl, SECRET, { text, user_id: user, user_name: user.toLowerCase(), channel_id: CHANNEL, response_url: responseUrl });
    expect(ack.status).toBe(200);
    return { to, answer: async () => JSON.stringify((await standIn.waitFor((c) => c.method === RESPONSE_URL_METHOD && c.path === path, 20_000)).args) };
  };
  const click = async (user: string, actionId: string, taskId: number, ts: string) => {
    const res = await sendBlockAction(next().baseUrl, SECRET, { action_id: actionId, value: String(taskId), user_id: user, channel_id: CHANNEL, message_ts: ts });
    expect(res.status).toBe(200);
  };
  const row = (id: number) => orm.em.fork().findOneOrFail(DeployTask, { id });
  const waitUntil = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 150_000) => {
    const until = Date.now() + timeoutMs;
    const ok = async () => {
      try {
        return await check();
      } catch {
        return false; // the database may be restarting
      }
    };
    while (!(await ok())) {
      if (Date.now() > until) throw new Error(`timed out waiting until ${what}\n${replicas.map((r) => `--- ${r.name}\n${r.stderr().slice(-3000)}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const live = (i: number) => {
    const p = join(servers[i]!.hostDir, 'current', 'index.html');
    return existsSync(p) ? readFileSync(p, 'utf8') : null;
  };
  const setAfterDeploy = (script: string) => orm.em.fork().nativeUpdate(Project, { name: 'shop' }, { hookAfterDeploy: script });
  const replicaOf = (ownerId: string | null | undefined) => replicas.find((r) => ownerId?.includes(`:${r.pid()}#`));

  /** A deploy requested on one replica and approved on the other; resolves with the task and its message ts. */
  async function requestAndApprove(ref: string): Promise<{ id: number; ts: string }> {
    const from = mark();
    await command(ALICE, `shop ${ref}`);
    const posted = await standIn.waitFor((c) => standIn.calls().indexOf(c) >= from && c.method === 'chat.postMessage' && c.args.channel === CHANNEL && !c.args.thread_ts, 20_000);
    const ts = String((posted.response as { ts: string }).ts);
    const latest = async () => (await orm.em.fork().find(DeployTask, {}, { orderBy: { id: 'desc' }, limit: 1 }))[0]!;
    // The message lives in the database, so whichever replica runs or recovers the task can update it.
    await waitUntil('the message ts is stored', async () => (await latest()).slackMessageTs === ts);
    const task = await latest();
    expect([task.status, task.slackChannel, task.slackMessageTs]).toEqual(['awaiting_approval', CHANNEL, ts]);
    await click(BOB, TASK_ACTIONS.approve, task.id, ts);
    return { id: task.id, ts };
  }

  it('the full prod flow with approvals, requests spread over both replicas', async () => {
    for (const [i, s] of servers.entries()) expect(await (await command(ADMIN, `server add web-${i + 1} root@127.0.0.1:${s.port}`)).answer()).toContain(`Added server *web-${i + 1}*`);
    const approvers = [BOB, ADMIN].map((u) => `<@${u}|${u.toLowerCase()}>`).join(',');
    expect(await (await command(ADMIN, `project add shop repo=${repo.url} path=${ROOT} servers=web-1,web-2 env=prod approvers=${approvers}`)).answer()).toContain('Added project *shop*');

    const from = mark();
    const { id, ts } = await requestAndApprove('v1');
    await waitUntil('the deploy succeeded', async () => (await row(id)).status === 'success');
    expect([live(0), live(1)]).toEqual(['version 1\n', 'version 1\n']);
    expect((await row(id)).approvedBy).toBe(BOB);
    expect(replicaOf((await row(id)).ownerId)).toBeDefined();
    // The final state reached the one message, with its Roll back button.
    await standIn.waitFor((c) => standIn.calls().indexOf(c) >= from && c.method === 'chat.update' && c.args.ts === ts && JSON.stringify(c.args.blocks).includes(TASK_ACTIONS.rollback), 20_000);
    // `tasks` on either replica answers from the database.
    for (let i = 0; i < 2; i++) expect(await (await command(ALICE, 'tasks shop')).answer()).toContain(`#${id}`);
  }, 300_000);

  it('SIGKILL of the replica running a deploy: the other recovers it within the lease and updates its message', async () => {
    await setAfterDeploy('sleep 120');
    const { id, ts } = await requestAndApprove('v2');
    await waitUntil('the deploy reached after_deploy', async () => (await orm.em.fork().count(AuditEvent, { target: `task:${id}` })) > 0 && (await row(id)).status === 'running' && existsSync(join(servers[0]!.hostDir, 'current')) && readFileSync(join(servers[0]!.hostDir, 'current', 'index.html'), 'utf8') === 'version 2\n');
    const owner = replicaOf((await row(id)).ownerId)!;
    const survivor = replicas.find((r) => r !== owner)!;
    const from = mark();
    const killedAt = Date.now();
    owner.kill('SIGKILL');
    await owner.exited;
    await waitUntil('the task was recovered', async () => (await row(id)).status === 'interrupted');
    const recoveredMs = Date.now() - killedAt;
    const audit = await orm.em.fork().findOneOrFail(AuditEvent, { action: 'task.interrupted', target: `task:${id}` });
    expect(replicaOf(String((audit.details as { recoveredBy: string }).recoveredBy))).toBe(survivor);
    const update = await standIn.waitFor((c) => standIn.calls().indexOf(c) >= from && c.method === 'chat.update' && c.args.ts === ts && /interrupted/i.test(JSON.stringify(c.args)), 20_000);
    expect(update.args.channel).toBe(CHANNEL);
    console.log(`replicas: recovered ${recoveredMs} ms after SIGKILL (lease ${LEASE_SECONDS} s)`);
    // The killed replica comes back; the project is free again.
    await setAfterDeploy('');
    replicas[replicas.indexOf(owner)] = await start(`${owner.name}2`);
  }, 300_000);

  it('a scheduled deploy with both replicas up runs once', async () => {
    const services = servicesFor(orm.em.fork(), { secrets: SecretBox.fromConfigValue(SECRET_KEY) });
    const releasesBefore = servers.map((s) => readdirSync(join(s.hostDir, 'releases')).length);
    const task = await services.tasks.requestDeploy({ id: ALICE, isAdmin: false }, { project: 'shop', ref: 'v3', scheduledAt: new Date(Date.now() + 3000) });
    await servicesFor(orm.em.fork(), { secrets: SecretBox.fromConfigValue(SECRET_KEY) }).tasks.approve({ id: BOB, isAdmin: false }, task.id);
    await waitUntil('the scheduled deploy succeeded', async () => (await row(task.id)).status === 'success', 150_000);
    expect([live(0), live(1)]).toEqual(['version 3\n', 'version 3\n']);
    // Ran once: one new release per server, one owner.
    expect(servers.map((s) => readdirSync(join(s.hostDir, 'releases')).length)).toEqual(releasesBefore.map((n) => n + 1));
    expect(replicaOf((await row(task.id)).ownerId)).toBeDefined();
  }, 300_000);

  it('PostgreSQL restarted while idle: both replicas reconnect and serve; /healthz names each replica, /metrics counts', async () => {
    await pg.restart({ downMs: 1000 });
    await new Promise((r) => setTimeout(r, 1000));
    for (const r of replicas) expect(r.child.exitCode, r.stderr().slice(-3000)).toBeNull();
    for (let i = 0; i < 2; i++) expect(await (await command(ALICE, 'tasks shop')).answer()).toContain('#');
    const health = await Promise.all(replicas.map(async (r) => (await fetch(`${r.baseUrl}/healthz`)).json() as Promise<{ ok: boolean; db: string; replica: string; database: string }>));
    for (const [i, h] of health.entries()) expect(h).toMatchObject({ ok: true, db: 'ok', database: 'postgresql', replica: expect.stringContaining(`:${replicas[i]!.pid()}#`) });
    const metrics = (await Promise.all(replicas.map(async (r) => (await fetch(`${r.baseUrl}/metrics`)).text()))).join('\n');
    expect(metrics).toMatch(/deploybot_deploys_total\{[^}]*result="success"[^}]*\} \d+/);
    expect(metrics).toMatch(/deploybot_deploys_total\{[^}]*result="interrupted"[^}]*\} 1/);
    expect(metrics).toMatch(/deploybot_slack_api_calls_total\{[^}]*method="chat.postMessage"[^}]*\} \d+/);
    expect(metrics).toMatch(/deploybot_stage_duration_seconds_count\{[^}]*stage="download"[^}]*\} \d+/);
    expect(metrics).toContain('deploybot_queue_length{replica=');
    expect(metrics).toContain('deploybot_leases_held{replica=');
    expect(metrics).not.toContain(pg.password);
  }, 300_000);

  it('PostgreSQL restarted during a deploy: the task completes or is recovered, nothing stays stuck', async () => {
    await setAfterDeploy('sleep 4');
    const { id } = await requestAndApprove('v2');
    await waitUntil('the deploy runs', async () => (await row(id)).status === 'running');
    await pg.restart({ downMs: 2000 });
    await waitUntil('the task ended', async () => ['success', 'interrupted', 'failed'].includes((await row(id)).status), 150_000);
    const ended = await row(id);
    console.log(`replicas: deploy across a PostgreSQL restart ended ${ended.status}${ended.error ? ` (${ended.error})` : ''}`);
    expect(['success', 'interrupted']).toContain(ended.status);
    expect(await orm.em.fork().count(DeployTask, { status: 'running' })).toBe(0);
    // No stuck lock: the next deploy of the project goes through.
    await setAfterDeploy('');
    const again = await requestAndApprove('v1');
    await waitUntil('the next deploy succeeded', async () => (await row(again.id)).status === 'success', 150_000);
    for (const r of replicas) expect(r.stderr()).not.toContain(pg.password);
  }, 360_000);
});
