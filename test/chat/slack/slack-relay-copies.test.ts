import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../../support/git-repo.js';
import { removeScratchDirs } from '../../support/scratch-dirs.js';
import { generateKeyPair } from '../../support/ssh-keys.js';
import { ensureOpenSshServer, startSshd, type TestSshd } from '../../support/sshd.js';
import { allText, CHANNEL, startSlackHarness, USERS, type SlackHarness } from './slack-harness.js';

/**
 * A relayed deploy through the real Bolt endpoint on 4 real sshd servers: the task message in the
 * channel says where each server's copy came from (the bot, then each server from the one before)
 * and how fast, as the shell and the snapshot do.
 */

const ROOT = '/srv/deploybot-test/app';
let h: SlackHarness;
let repo: TestRepo;
let servers: TestSshd[];

beforeAll(async () => {
  await ensureOpenSshServer();
  const key = await generateKeyPair();
  servers = await Promise.all(Array.from({ length: 4 }, () => startSshd({ authorizedKey: key.publicKey, deployRoot: ROOT, privateHome: true })));
  repo = await makeRepo({ commits: [{ files: { 'index.html': 'one\n', 'blob.txt': 'x'.repeat(200_000) }, message: 'first', tag: 'v1' }] });
  h = await startSlackHarness({ env: { DEPLOYBOT_SSH_KEY: key.privateKeyPath } });
  const admin = h.runtime.app.actor(USERS.admin);
  await h.runtime.app.withServices(async (s) => {
    for (const [i, srv] of servers.entries()) await s.servers.add(admin, { name: `web-${i + 1}`, hostname: srv.host, port: srv.port, username: srv.username });
    await s.projects.add(admin, { name: 'chain', repoUrl: repo.url, deployPath: `${ROOT}/chain`, servers: ['web-1', 'web-2', 'web-3', 'web-4'], distribution: 'relay' });
  });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await Promise.all((servers ?? []).map((s) => s.stop()));
  repo?.cleanup();
  removeScratchDirs();
});

describe('a relayed deploy in Slack', () => {
  it('the task message names each server’s source and its rate', async () => {
    const mark = h.mark();
    const sent = await h.command(USERS.admin, 'chain v1');
    expect(sent.ack.status).toBe(200);
    const message = await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL && !c.args.thread_ts && String(c.args.text).includes(' chain v1'), 60_000);
    const id = Number(/#(\d+)/.exec(String(message.args.text))![1]);
    const finished = await h.runtime.events.waitForFinish(id);
    expect(finished.status, finished.error).toBe('success');
    await h.slack.deps.taskMessages.stop(); // every pending edit lands
    h.slack.deps.taskMessages.start();
    const ts = String((message.response as { ts: string }).ts);
    const shown = allText(h.standIn.messages(CHANNEL).find((m) => m.ts === ts)!);
    expect(shown).toContain('*relay*: where each copy came from');
    expect(shown).toMatch(/web-1 from the bot · [\d.]+ [kMG]?B\/s/);
    for (const [to, from] of [['web-2', 'web-1'], ['web-3', 'web-2'], ['web-4', 'web-3']]) expect(shown).toMatch(new RegExp(`${to} ← ${from} · [\\d.]+ [kMG]?B/s`));
    h.expectNoRefusals();
  }, 120_000);
});
