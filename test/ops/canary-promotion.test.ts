import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_ACTIONS } from '../../src/chat/slack/action-ids.js';
import { servicesFor } from '../../src/core/services.js';
import { AuditEvent, DeployTask, TaskHost } from '../../src/db/entities/index.js';
import { openDatabase, type Orm } from '../../src/db/orm.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { deploybotEnv, startDeploybot } from '../chat/shell/support/deploybot-process.js';
import { startReplica, type BotReplica } from '../support/bot-replica.js';
import { databaseConfig, STORE_KINDS } from '../support/db/database.js';
import { freePort } from '../support/db/postgres.js';
import { usePostgres } from '../support/db/use-postgres.js';
import { makeRepo, type TestRepo } from '../support/git-repo.js';
import { makeScratchDir, removeScratchDirs } from '../support/scratch-dirs.js';
import { RESPONSE_URL_METHOD, startSlackApiStandIn, type SlackApiStandIn } from '../support/slack/slack-api-stand-in.js';
import { sendBlockAction, sendSlashCommand } from '../support/slack/slack-requests.js';
import { generateKeyPair, type TestKeyPair } from '../support/ssh-keys.js';
import { ensureOpenSshServer, startSshd, type TestSshd } from '../support/sshd.js';

const TOKEN = 'xoxb-test-canary-promotion-token';
const SECRET = '0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f';
const SECRET_KEY = 'canary-promotion-shared-secret-key-0123456789';
const CHANNEL = 'C0DEPLOYS';
const ROOT = '/srv/deploybot-test/app';
const ADMIN = 'UADMIN01';
const ALICE = 'UALICE01';
const BOB = 'UBOB0001';
const CAROL = 'UCAROL01';

const postgres = usePostgres();

/**
 * A prod canary deploy run by a real bot process (bin/deploybot.mjs, Slack over HTTP with the
 * stand-in) waits for its Promote; `deploybot promote <task>` run as a one-shot command, another OS
 * process, records it in the database, and the bot switches the rest. On a SQLite file and on
 * PostgreSQL (where the task trigger's NOTIFY wakes the waiting runner).
 */
describe.each(STORE_KINDS)('promote from another process, on %s', (kind) => {
  let standIn: SlackApiStandIn;
  let servers: TestSshd[];
  let repo: TestRepo;
  let key: TestKeyPair;
  let orm: Orm;
  let bot: BotReplica;
  let dataDir: string;
  let database: Record<string, string>;

  beforeAll(async () => {
    await ensureOpenSshServer();
    key = await generateKeyPair();
    servers = await Promise.all([0, 1, 2].map(() => startSshd({ authorizedKey: key.publicKey, deployRoot: ROOT })));
    repo = await makeRepo({
      commits: [
        { files: { 'index.html': 'version 1\n' }, message: 'first', tag: 'v1' },
        { files: { 'index.html': 'version 2\n' }, message: 'second', tag: 'v2' },
      ],
    });
    dataDir = makeScratchDir(`deploybot-promote-${kind}-`);
    const url = kind === 'postgresql' ? await postgres.createDatabase() : `sqlite:${join(dataDir, 'deploybot.sqlite')}`;
    database = kind === 'postgresql' ? { DATABASE_URL: url } : {};
    orm = await openDatabase(databaseConfig(url));
    standIn = await startSlackApiStandIn({ token: TOKEN });
    bot = await startReplica(`bot-${kind}`, await freePort(), {
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: standIn.url,
      DEPLOYBOT_DATA_DIR: dataDir,
      DEPLOYBOT_SECRET_KEY: SECRET_KEY,
      DEPLOYBOT_SSH_KEY: key.privateKeyPath,
      DEPLOYBOT_ADMINS: ADMIN,
      DEPLOYBOT_TIMEZONE: 'UTC',
      DEPLOYBOT_LOG_LEVEL: 'info',
      ...database,
    });
    const services = servicesFor(orm.em.fork(), { secrets: SecretBox.fromConfigValue(SECRET_KEY), defaultKeyPath: key.privateKeyPath });
    const admin = { id: ADMIN, isAdmin: true };
    for (const [i, s] of servers.entries()) await services.servers.add(admin, { name: `web-${i + 1}`, hostname: s.host, port: s.port, username: s.username });
    await services.projects.add(admin, { name: 'shop', repoUrl: repo.url, deployPath: ROOT, servers: ['web-1', 'web-2', 'web-3'], environment: 'prod', approvers: [BOB, CAROL], maxParallel: 1 });
  }, 300_000);

  afterAll(async () => {
    await bot?.stop();
    await orm?.close(true);
    await standIn?.close();
    await Promise.all((servers ?? []).map((s) => s.stop()));
    repo?.cleanup();
    removeScratchDirs();
  });

  const current = (i: number) => readlinkSync(join(servers[i]!.hostDir, 'current')).replace(/^releases\//, '');
  const currents = () => servers.map((_, i) => current(i));
  const row = (id: number) => orm.em.fork().findOneOrFail(DeployTask, { id });
  const waitUntil = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 120_000) => {
    const until = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > until) throw new Error(`timed out waiting until ${what}\n--- bot\n${bot.stderr().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const oneShot = (args: string[]) =>
    startDeploybot(args, { env: deploybotEnv(dataDir, { DEPLOYBOT_SECRET_KEY: SECRET_KEY, DEPLOYBOT_SSH_KEY: key.privateKeyPath, DEPLOYBOT_ADMINS: ADMIN, DEPLOYBOT_TIMEZONE: 'UTC', ...database }), cwd: dataDir });

  /** alice asks the bot over Slack, bob approves with the button: the bot runs it. */
  async function requestAndApprove(ref: string): Promise<{ id: number; ts: string }> {
    const from = standIn.calls().length;
    const responseUrl = standIn.responseUrl();
    const ack = await sendSlashCommand(bot.baseUrl, SECRET, { text: `shop ${ref}`, user_id: ALICE, user_name: 'alice', channel_id: CHANNEL, response_url: responseUrl });
    expect(ack.status).toBe(200);
    const posted = await standIn.waitFor((c) => standIn.calls().indexOf(c) >= from && c.method === 'chat.postMessage' && c.args.channel === CHANNEL && !c.args.thread_ts, 30_000);
    const ts = String((posted.response as { ts: string }).ts);
    let id = 0;
    await waitUntil('the task message is stored', async () => {
      const latest = (await orm.em.fork().find(DeployTask, {}, { orderBy: { id: 'desc' }, limit: 1 }))[0];
      id = latest?.slackMessageTs === ts ? latest.id : 0;
      return id > 0;
    });
    const res = await sendBlockAction(bot.baseUrl, SECRET, { action_id: TASK_ACTIONS.approve, value: String(id), user_id: BOB, channel_id: CHANNEL, message_ts: ts });
    expect(res.status).toBe(200);
    void RESPONSE_URL_METHOD;
    return { id, ts };
  }

  it('a one-shot `promote` by an approver promotes the deploy the bot runs; the requester’s is refused; the bot switches the rest', async () => {
    const first = await requestAndApprove('v1');
    await waitUntil('v1 is live everywhere', async () => (await row(first.id)).status === 'success');
    const v1 = current(0);
    await servicesFor(orm.em.fork(), { secrets: SecretBox.fromConfigValue(SECRET_KEY) }).projects.edit({ id: ADMIN, isAdmin: true }, 'shop', { rollout: 'canary:1', canaryWait: 0, healthCheck: 'exit 0' });

    const { id, ts } = await requestAndApprove('v2');
    await waitUntil('the canary passed and waits for a Promote', async () => Boolean((await row(id)).canaryPassedAt));
    const task = await row(id);
    expect(task.ownerId).toContain(`:${bot.pid()}#`);
    const v2 = task.releaseId!;
    await new Promise((r) => setTimeout(r, 1500));
    expect(currents()).toEqual([v2, v1, v1]);

    const refused = await oneShot(['--as', ALICE, 'promote', String(id)]).exited;
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`You requested deploy #${id}, so you cannot promote it yourself`);
    await new Promise((r) => setTimeout(r, 1500));
    expect(currents()).toEqual([v2, v1, v1]);
    expect((await row(id)).promotedBy).toBeNull();

    const promoting = oneShot(['--as', CAROL, 'promote', String(id)]);
    await waitUntil('the promotion is recorded', async () => (await row(id)).promotedBy === CAROL);
    // The bot hears it through the database and switches the rest.
    await waitUntil('the rest switched', () => currents().every((r) => r === v2));
    // The one-shot followed the bot's task to its end, from the database.
    const exit = await promoting.exited;
    expect(exit.code, exit.stdout + exit.stderr).toBe(0);
    expect(exit.stdout).toContain(`promoted deploy #${id}`);
    expect(exit.stdout).toMatch(/runs in .*bot.*following it from the database/);
    const done = await row(id);
    expect(done).toMatchObject({ status: 'success', promotedBy: CAROL, promoteReason: null });
    expect(done.ownerId).toContain(`:${bot.pid()}#`);
    expect(currents()).toEqual([v2, v2, v2]);
    const web2 = await orm.em.fork().findOneOrFail(TaskHost, { task: id, serverName: 'web-2' });
    // Logged, not asserted (a loaded machine may be slow either way): about the poll (1 s) on SQLite, NOTIFY's ~0.1 s on PostgreSQL.
    console.log(`${kind}: web-2 switched ${Date.parse(web2.stages.switch!.startedAt!) - done.promotedAt!.getTime()} ms after the promotion`);
    expect(await orm.em.fork().count(AuditEvent, { action: 'task.promote', actor: CAROL, target: `task:${id}` })).toBe(1);
    // The bot's message of the task says who promoted it, though the click came from elsewhere.
    await standIn.waitFor((c) => c.method === 'chat.update' && c.args.ts === ts && JSON.stringify(c.args.blocks).includes(`promoted by <@${CAROL}>`), 30_000);
    expect(bot.child.exitCode).toBeNull();
  }, 300_000);
});
