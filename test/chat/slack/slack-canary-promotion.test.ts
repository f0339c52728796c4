import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TASK_ACTIONS } from '../../../src/chat/slack/action-ids.js';
import type { TaskView } from '../../../src/core/views.js';
import { AuditEvent } from '../../../src/db/entities/index.js';
import { makeRepo, type TestRepo } from '../../support/git-repo.js';
import type { RecordedCall } from '../../support/slack/slack-api-stand-in.js';
import { removeScratchDirs } from '../../support/scratch-dirs.js';
import { generateKeyPair } from '../../support/ssh-keys.js';
import { ensureOpenSshServer, startSshd, type TestSshd } from '../../support/sshd.js';
import { allText, buttons, CHANNEL, startSlackHarness, USERS, type SlackHarness } from './slack-harness.js';

/**
 * Canary first on a prod project, from Slack: after the canary passed, the rest of the fleet waits
 * for an approver's Promote click (not the requester's); Cancel meanwhile switches the canary back.
 * Real Bolt over signed HTTP, the strict Slack stand-in, real sshd servers (their `current` links).
 */

const ROOT = '/srv/deploybot-test/app';
let h: SlackHarness;
let repo: TestRepo;
let servers: TestSshd[];

/** The release `current` points at on server i, read on the server's own disk. */
const current = (i: number): string => readlinkSync(join(servers[i]!.hostDir, 'current')).replace(/^releases\//, '');
const currents = () => servers.map((_, i) => current(i));
const task = (id: number): Promise<TaskView> => h.runtime.app.withServices((s) => s.tasks.show(id));
const latestTask = async (): Promise<TaskView> => (await h.runtime.app.withServices((s) => s.tasks.list({ limit: 1 })))[0]!;
const messageOf = (ts: string) => h.standIn.messages(CHANNEL).find((x) => x.ts === ts)!;
const ephemeralTo = (mark: number, user: string) => h.next(mark, (c) => c.method === 'chat.postEphemeral' && c.args.user === user, 20_000);
const threadReply = (mark: number, text: string) =>
  h.next(mark, (c) => c.method === 'chat.postMessage' && typeof c.args.thread_ts === 'string' && String(c.args.text).includes(text), 30_000);

async function command(user: string, text: string): Promise<string> {
  const sent = await h.command(user, text);
  expect(sent.ack.status).toBe(200);
  return allText(await sent.answer());
}

async function click(user: string, actionId: string, ts: string, taskId: number): Promise<void> {
  const res = await h.click({ action_id: actionId, value: String(taskId), user_id: user, message_ts: ts });
  expect(res.status).toBe(200);
}

/** alice requests, bob approves from the message: resolves with the task and its message ts. */
async function requestAndApprove(ref: string): Promise<{ id: number; ts: string }> {
  const mark = h.mark();
  await command(USERS.alice, `shop ${ref}`);
  const posted: RecordedCall = await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL && !c.args.thread_ts, 20_000);
  const ts = String((posted.response as { ts: string }).ts);
  const t = await latestTask();
  expect(t.status).toBe('awaiting_approval');
  await click(USERS.bob, TASK_ACTIONS.approve, ts, t.id);
  return { id: t.id, ts };
}

/** Until the task message shows the Promote button (the canary passed, the rest waits). */
async function promoteOffered(ts: string, from: number): Promise<RecordedCall> {
  return h.next(from, (c) => c.method === 'chat.update' && c.args.ts === ts && buttons(c.args.blocks).has(TASK_ACTIONS.promote), 60_000);
}

beforeAll(async () => {
  await ensureOpenSshServer();
  const key = await generateKeyPair();
  servers = await Promise.all([0, 1, 2].map(() => startSshd({ authorizedKey: key.publicKey, deployRoot: ROOT })));
  repo = await makeRepo({
    commits: [
      { files: { 'index.html': 'version 1\n' }, message: 'first', tag: 'v1' },
      { files: { 'index.html': 'version 2\n' }, message: 'second', tag: 'v2' },
      { files: { 'index.html': 'version 3\n' }, message: 'third', tag: 'v3' },
    ],
  });
  h = await startSlackHarness({ env: { DEPLOYBOT_SSH_KEY: key.privateKeyPath } });
  for (const [i, s] of servers.entries()) expect(await command(USERS.admin, `server add web-${i + 1} root@127.0.0.1:${s.port}`)).toContain(`Added server *web-${i + 1}*`);
  const approvers = [USERS.alice, USERS.bob, USERS.admin].map((u) => `<@${u}|${u.toLowerCase()}>`).join(',');
  expect(await command(USERS.admin, `project add shop repo=${repo.url} path=${ROOT} servers=web-1,web-2,web-3 env=prod approvers=${approvers} parallel=1`)).toContain('Added project *shop*');
  // v1 everywhere, all at once; from then on, canary first.
  const first = await requestAndApprove('v1');
  expect((await (h.runtime.coordinator.whenFinished(first.id) ?? h.runtime.events.waitForFinish(first.id))).status).toBe('success');
  expect(await command(USERS.admin, 'project edit shop rollout=canary:1 canary_wait=0 health="exit 0"')).toContain('shop');
}, 180_000);

afterEach(() => h.expectNoRefusals());

afterAll(async () => {
  await h?.close();
  await Promise.all((servers ?? []).map((s) => s.stop()));
  repo?.cleanup();
  removeScratchDirs();
});

describe('prod canary, promoted from Slack', () => {
  let v1: string;
  let v2: string;

  it('waits for a Promote with the rest untouched; the requester and a non-approver are refused; an approver’s click switches the rest', async () => {
    v1 = current(0);
    expect(currents()).toEqual([v1, v1, v1]);
    const mark = h.mark();
    const { id, ts } = await requestAndApprove('v2');
    const offered = await promoteOffered(ts, mark);
    expect(allText(offered.args)).toContain('canary healthy on web-1; waiting for an approver to Promote');
    // Approvers but the requester are mentioned in the thread (Slack notifies no one of an edit), and DM'd with the button.
    const asked = await threadReply(mark, 'waiting for an approver to Promote');
    expect(String(asked.args.text)).toContain(`<@${USERS.bob}>`);
    expect(String(asked.args.text)).not.toContain(`<@${USERS.alice}>`);
    const dm = await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.channel !== CHANNEL && buttons(c.args.blocks).has(TASK_ACTIONS.promote), 20_000);
    expect(String(dm.args.text)).toContain(`deploy #${id}`);
    v2 = (await task(id)).releaseId!;
    expect(v2).not.toBe(v1);
    // Long past canary_wait (0 s): only the canary serves v2.
    await new Promise((r) => setTimeout(r, 1500));
    expect(currents()).toEqual([v2, v1, v1]);
    expect(await task(id)).toMatchObject({ status: 'running', promotedBy: null });

    let m = h.mark();
    await click(USERS.alice, TASK_ACTIONS.promote, ts, id);
    expect(allText((await ephemeralTo(m, USERS.alice)).args)).toContain(`You requested deploy #${id}, so you cannot promote it yourself`);
    m = h.mark();
    await click(USERS.carol, TASK_ACTIONS.promote, ts, id);
    expect(allText((await ephemeralTo(m, USERS.carol)).args)).toContain(`Only the approvers of shop`);
    await new Promise((r) => setTimeout(r, 1500));
    expect(currents()).toEqual([v2, v1, v1]);
    expect(await task(id)).toMatchObject({ status: 'running', promotedBy: null });
    expect(await h.runtime.app.orm.em.fork().count(AuditEvent, { action: 'task.promote', target: `task:${id}` })).toBe(0);

    const finished = h.runtime.events.waitForFinish(id);
    m = h.mark();
    await click(USERS.bob, TASK_ACTIONS.promote, ts, id);
    await threadReply(m, `Promoted by <@${USERS.bob}>`);
    expect((await finished).status).toBe('success');
    expect(currents()).toEqual([v2, v2, v2]);
    expect(await task(id)).toMatchObject({ status: 'success', promotedBy: USERS.bob });
    // The requester hears who promoted it; the final message says so and has no Promote button left.
    await threadReply(m, `<@${USERS.alice}> the canary of your deploy #${id}`);
    await h.next(m, (c) => c.method === 'chat.update' && c.args.ts === ts && JSON.stringify(c.args.blocks).includes(TASK_ACTIONS.rollback), 20_000);
    const final = messageOf(ts);
    expect(JSON.stringify(final.blocks)).toContain(`promoted by <@${USERS.bob}>`);
    expect(buttons(final.blocks).has(TASK_ACTIONS.promote)).toBe(false);
    // A second click, late: told who promoted it.
    m = h.mark();
    await click(USERS.admin, TASK_ACTIONS.promote, ts, id);
    expect(allText((await ephemeralTo(m, USERS.admin)).args)).toContain(`was already promoted by <@${USERS.bob}>`);
  }, 180_000);

  it('Cancel while the canary waits switches it back; the rest was never touched', async () => {
    expect(currents()).toEqual([v2, v2, v2]);
    const mark = h.mark();
    const { id, ts } = await requestAndApprove('v3');
    const offered = await promoteOffered(ts, mark);
    expect(buttons(offered.args.blocks).get(TASK_ACTIONS.cancel)?.confirm).toMatchObject({ text: { text: expect.stringContaining('The canary is switched back') } });
    const v3 = (await task(id)).releaseId!;
    expect(currents()).toEqual([v3, v2, v2]);

    const finished = h.runtime.events.waitForFinish(id);
    const m = h.mark();
    await click(USERS.alice, TASK_ACTIONS.cancel, ts, id);
    await threadReply(m, 'the canary is switched back to its previous release');
    const outcome = await finished;
    expect(outcome.status).toBe('cancelled');
    expect(outcome.error).toBe('cancelled; web-1 switched back to its previous release; 2 other servers never switched');
    expect(currents()).toEqual([v2, v2, v2]);
    expect(await task(id)).toMatchObject({ status: 'cancelled', cancelledBy: USERS.alice, promotedBy: null });
    await h.next(m, (c) => c.method === 'chat.update' && c.args.ts === ts && /cancelled/i.test(allText(c.args)), 20_000);
    expect(buttons(messageOf(ts).blocks).has(TASK_ACTIONS.promote)).toBe(false);
    // Promote on the stale button: it is cancelled.
    const late = h.mark();
    await click(USERS.bob, TASK_ACTIONS.promote, ts, id);
    expect(allText((await ephemeralTo(late, USERS.bob)).args)).toContain(`Deploy #${id} is cancelled: there is nothing to promote`);
  }, 180_000);
});
