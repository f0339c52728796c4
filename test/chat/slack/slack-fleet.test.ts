import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../../src/core/views.js';
import { makeRepo, type TestRepo } from '../../support/git-repo.js';
import type { RecordedCall } from '../../support/slack/slack-api-stand-in.js';
import { removeScratchDirs } from '../../support/scratch-dirs.js';
import { generateKeyPair } from '../../support/ssh-keys.js';
import { ensureOpenSshServer, startSshd, type TestSshd } from '../../support/sshd.js';
import { allText, CHANNEL, FAST_TIERS, startSlackHarness, USERS, type SlackHarness } from './slack-harness.js';

/**
 * Fleets through the real Bolt endpoint, against a stand-in that enforces Slack's tiers (at ten
 * times the speed, FAST_TIERS): a stage failing on 50 servers is one thread reply, and five
 * concurrent 20-server deploys stay within chat.update's tier while each one's final state lands.
 */

const ROOT = '/srv/deploybot-test/app';
const N = 50;
let h: SlackHarness;
let repo: TestRepo;
let servers: TestSshd[];

const tsOf = (call: RecordedCall): string => String((call.response as { ts: string }).ts);

async function deploy(project: string): Promise<{ task: TaskView; message: RecordedCall }> {
  const mark = h.mark();
  const sent = await h.command(USERS.admin, `${project} v1`);
  expect(sent.ack.status).toBe(200);
  const message = await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL && !c.args.thread_ts && String(c.args.text).includes(` ${project} v1`), 150_000);
  const id = Number(/#(\d+)/.exec(String(message.args.text))![1]);
  return { task: await h.runtime.app.withServices((s) => s.tasks.show(id)), message };
}

beforeAll(async () => {
  await ensureOpenSshServer();
  const key = await generateKeyPair();
  servers = await Promise.all(Array.from({ length: N }, () => startSshd({ authorizedKey: key.publicKey, deployRoot: ROOT, privateHome: true })));
  repo = await makeRepo({ commits: [{ files: { 'index.html': 'one\n' }, message: 'first', tag: 'v1' }] });
  h = await startSlackHarness({ env: { DEPLOYBOT_SSH_KEY: key.privateKeyPath } });
  const admin = h.runtime.app.actor(USERS.admin);
  await h.runtime.app.withServices(async (s) => {
    for (const [i, srv] of servers.entries()) await s.servers.add(admin, { name: `web-${i + 1}`, hostname: srv.host, port: srv.port, username: srv.username });
    const all = servers.map((_, i) => `web-${i + 1}`);
    await s.projects.add(admin, { name: 'migrate', repoUrl: repo.url, deployPath: `${ROOT}/migrate`, servers: all, maxParallel: N, hooks: { before_deploy: 'echo "relation users already exists" >&2; exit 3' } });
    for (let p = 0; p < 5; p++) {
      await s.projects.add(admin, { name: `app-${p}`, repoUrl: repo.url, deployPath: `${ROOT}/app-${p}`, servers: all.slice(p * 10, p * 10 + 20).concat(p * 10 + 20 > N ? all.slice(0, p * 10 + 20 - N) : []), maxParallel: 20 });
    }
  });
}, 240_000);

afterEach(() => h.expectNoRefusals());

afterAll(async () => {
  await h?.close();
  await Promise.all((servers ?? []).map((s) => s.stop()));
  repo?.cleanup();
  removeScratchDirs();
});

describe('a fleet in one thread', () => {
  it('50 servers failing before_deploy produce one failure reply, edited until it lists them all', async () => {
    const { task, message } = await deploy('migrate');
    const finished = await h.runtime.events.waitForFinish(task.id);
    expect(finished.status).toBe('failed');
    await h.slack.deps.taskMessages.stop(); // every pending edit lands
    h.slack.deps.taskMessages.start();
    const replies = h.standIn.calls('chat.postMessage').filter((c) => c.args.thread_ts === tsOf(message) && String(c.args.text).startsWith('✗'));
    expect(replies).toHaveLength(1);
    const stored = h.standIn.messages(CHANNEL).find((m) => m.ts === tsOf(replies[0]!))!;
    expect(stored.text).toContain(`✗ ${N} servers failed at before_deploy`);
    const shown = allText(stored);
    expect(shown).toContain('relation users already exists');
    expect(shown).toContain(`and ${N - 3} more (${N - 3} × exit code 3)`);
    for (let i = 1; i <= N; i++) expect(stored.text).toContain(`web-${i}`);
    expect((stored.blocks as unknown[]).length).toBeLessThanOrEqual(5);
  }, 240_000);

  it('five concurrent 20-server deploys stay within the tier, and the final state of each lands', async () => {
    const from = h.mark();
    const started = await Promise.all([0, 1, 2, 3, 4].map((p) => deploy(`app-${p}`)));
    const results = await Promise.all(started.map(({ task }) => h.runtime.events.waitForFinish(task.id)));
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('success'));
    await h.slack.deps.taskMessages.stop();
    h.slack.deps.taskMessages.start();
    for (const { task, message } of started) {
      expect(h.standIn.messages(CHANNEL).find((m) => m.ts === tsOf(message))?.text).toBe(`deploy #${task.id} app-${task.project.slice(4)} v1 → test: succeeded`);
    }
    const updates = h.standIn.calls('chat.update').slice(0).filter((c) => h.standIn.calls().indexOf(c) >= from);
    expect(updates.filter((u) => u.status === 429)).toEqual([]);
    // Within any window of the tier, at most its calls.
    const tier = FAST_TIERS['chat.update']!;
    for (const u of updates) expect(updates.filter((v) => v.at >= u.at && v.at < u.at + tier.windowMs).length).toBeLessThanOrEqual(tier.calls);
    console.log(`5 × 20-server deploys: ${updates.length} chat.update calls, none refused`);
  }, 240_000);
});
