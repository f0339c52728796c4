import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TASK_ACTIONS } from '../../../src/chat/slack/action-ids.js';
import { ACTIONS, CALLBACKS } from '../../../src/chat/slack/ids.js';
import type { TaskView } from '../../../src/core/views.js';
import { AuditEvent } from '../../../src/db/entities/index.js';
import { makeRepo, type TestRepo } from '../../support/git-repo.js';
import { RESPONSE_URL_METHOD, type RecordedCall } from '../../support/slack/slack-api-stand-in.js';
import { removeScratchDirs } from '../../support/scratch-dirs.js';
import { generateKeyPair } from '../../support/ssh-keys.js';
import { ensureOpenSshServer, startSshd, type TestSshd } from '../../support/sshd.js';
import { allText, buttons, CHANNEL, plainValue, startSlackHarness, USERS, type SlackHarness } from './slack-harness.js';

/**
 * The production flow, end to end: an admin sets up servers and a prod project by text command,
 * people request, refuse, approve, reject and roll back from Slack, and real deploys land on real
 * sshd servers. Every request goes through Bolt's HTTP endpoint, signed as Slack signs it.
 */

const ROOT = '/srv/deploybot-test/app';
let h: SlackHarness;
let repo: TestRepo;
let servers: TestSshd[];
const acks: number[] = [];

const live = (i: number, file = 'index.html'): string | null => {
  const path = join(servers[i]!.hostDir, 'current', file);
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
};
const task = (id: number): Promise<TaskView> => h.runtime.app.withServices((s) => s.tasks.show(id));
const latestTask = async (): Promise<TaskView> => (await h.runtime.app.withServices((s) => s.tasks.list({ limit: 1 })))[0]!;
const audit = (): Promise<number> => h.runtime.app.orm.em.fork().count(AuditEvent, {});

async function command(user: string, text: string) {
  const sent = await h.command(user, text);
  expect(sent.ack.status).toBe(200);
  acks.push(sent.ack.elapsedMs);
  return sent;
}

/** Requests a deploy by text and returns the task and its status message (posted by TaskMessages). */
async function request(user: string, text: string): Promise<{ task: TaskView; message: RecordedCall }> {
  const mark = h.mark();
  await command(user, text);
  const message = await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL && !c.args.thread_ts, 20_000);
  return { task: await latestTask(), message };
}

/** The current blocks of a task's status message, as last updated. */
function messageOf(t: TaskView | RecordedCall): { ts: string; blocks: unknown } {
  const ts = 'response' in t ? String((t.response as { ts: string }).ts) : t.slack!.ts;
  const m = h.standIn.messages(CHANNEL).find((x) => x.ts === ts)!;
  return { ts, blocks: m.blocks };
}

async function click(user: string, actionId: string, on: { ts: string }, value: string, extra: { response_url?: string } = {}) {
  const res = await h.click({ action_id: actionId, value, user_id: user, message_ts: on.ts, ...extra });
  expect(res.status).toBe(200);
  acks.push(res.elapsedMs);
  return res;
}

const threadReply = (mark: number, text: string) =>
  h.next(mark, (c) => c.method === 'chat.postMessage' && typeof c.args.thread_ts === 'string' && String(c.args.text).includes(text), 20_000);
const ephemeralTo = (mark: number, user: string) => h.next(mark, (c) => c.method === 'chat.postEphemeral' && c.args.user === user);

beforeAll(async () => {
  await ensureOpenSshServer();
  const key = await generateKeyPair();
  servers = await Promise.all([0, 1].map(() => startSshd({ authorizedKey: key.publicKey, deployRoot: ROOT })));
  repo = await makeRepo({
    commits: [
      { files: { 'index.html': 'version 1\n' }, message: 'first', tag: 'v1' },
      { files: { 'index.html': 'version 2\n' }, message: 'second', tag: 'v2' },
      { files: { 'index.html': 'version 3\n' }, message: 'third', tag: 'v3' },
    ],
  });
  h = await startSlackHarness({ env: { DEPLOYBOT_SSH_KEY: key.privateKeyPath } });
});

afterEach(() => h.expectNoRefusals());

afterAll(async () => {
  await h?.close();
  await Promise.all((servers ?? []).map((s) => s.stop()));
  repo?.cleanup();
  removeScratchDirs();
  if (acks.length) console.log(`deploy flow: ${acks.length} acks, max ${Math.max(...acks).toFixed(0)} ms`);
});

describe('prod deploys from Slack, on real servers', () => {
  let v2: TaskView;
  let v3: TaskView;

  it('an admin sets up the servers and a prod project by text command', async () => {
    for (const [i, s] of servers.entries()) {
      const { answer } = await command(USERS.admin, `server add web-${i + 1} root@127.0.0.1:${s.port}`);
      expect(allText(await answer())).toContain(`Added server *web-${i + 1}*`);
    }
    const approvers = [USERS.alice, USERS.bob, USERS.admin].map((u) => `<@${u}|${u.toLowerCase()}>`).join(',');
    const { answer } = await command(USERS.admin, `project add shop repo=${repo.url} path=${ROOT} servers=web-1,web-2 env=prod approvers=${approvers}`);
    expect(allText(await answer())).toContain('Added project *shop*');
  });

  it('a deploy request waits for approval; the requester and a non-approver are refused, and nothing changes', async () => {
    const requested = await request(USERS.alice, 'shop v2');
    v2 = requested.task;
    expect(v2).toMatchObject({ status: 'awaiting_approval', ref: 'v2', requestedBy: USERS.alice, environment: 'prod' });
    const message = messageOf(requested.message);
    const approve = buttons(message.blocks).get(TASK_ACTIONS.approve);
    expect(approve?.value).toBe(String(v2.id));
    const auditBefore = await audit();

    let mark = h.mark();
    await click(USERS.alice, TASK_ACTIONS.approve, message, approve!.value!);
    expect(allText((await ephemeralTo(mark, USERS.alice)).args)).toContain(`You requested deploy #${v2.id}, so you cannot approve it yourself`);

    mark = h.mark();
    await click(USERS.carol, TASK_ACTIONS.approve, message, approve!.value!);
    expect(allText((await ephemeralTo(mark, USERS.carol)).args)).toContain(`Only the approvers of shop`);

    mark = h.mark();
    await click(USERS.carol, TASK_ACTIONS.reject, message, approve!.value!);
    expect(allText((await ephemeralTo(mark, USERS.carol)).args)).toContain('Only the approvers of shop');

    expect(await task(v2.id)).toMatchObject({ status: 'awaiting_approval', approvedBy: null, rejectedBy: null });
    expect(await audit()).toBe(auditBefore);
    expect(h.standIn.calls().slice(mark).map((c) => c.method)).not.toContain('views.open');
    expect(h.standIn.calls().filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === message.ts)).toEqual([]);
    expect([live(0), live(1)]).toEqual([null, null]);
  });

  it('an approver approves: the deploy runs to success on both servers, and the message says so', async () => {
    const finished = h.runtime.events.waitForFinish(v2.id);
    const mark = h.mark();
    await click(USERS.bob, TASK_ACTIONS.approve, messageOf(await task(v2.id)), String(v2.id));
    await threadReply(mark, `Approved by <@${USERS.bob}>`);
    expect((await finished).status).toBe('success');
    expect(await task(v2.id)).toMatchObject({ status: 'success', approvedBy: USERS.bob });
    expect([live(0), live(1)]).toEqual(['version 2\n', 'version 2\n']);
    await h.next(mark, (c) => c.method === 'chat.update' && JSON.stringify(c.args.blocks).includes(TASK_ACTIONS.rollback), 20_000);
  });

  it('an admin approving their own request must confirm it explicitly', async () => {
    const requested = await request(USERS.admin, 'shop v3');
    v3 = requested.task;
    let mark = h.mark();
    await click(USERS.admin, TASK_ACTIONS.approve, messageOf(requested.message), String(v3.id));
    const question = await ephemeralTo(mark, USERS.admin);
    const confirmButton = buttons(question.args.blocks).get(ACTIONS.selfApprove);
    expect(confirmButton).toMatchObject({ value: String(v3.id), confirm: { confirm: { text: 'Approve my own request' } } });
    expect(await task(v3.id)).toMatchObject({ status: 'awaiting_approval' });

    const finished = h.runtime.events.waitForFinish(v3.id);
    mark = h.mark();
    const responseUrl = h.standIn.responseUrl();
    await h.click({ action_id: ACTIONS.selfApprove, value: String(v3.id), user_id: USERS.admin, response_url: responseUrl, extra: { container: { type: 'message', message_ts: String(question.response && (question.response as { message_ts: string }).message_ts), channel_id: CHANNEL, is_ephemeral: true } } });
    await threadReply(mark, 'self-approved');
    expect(h.standIn.responsePosts(responseUrl)).toEqual([{ delete_original: true }]);
    expect((await finished).status).toBe('success');
    expect([live(0), live(1)]).toEqual(['version 3\n', 'version 3\n']);
  });

  it('`/deploy rollback shop` switches back (approvers only); the stale Rollback button of v3 is refused', async () => {
    let mark = h.mark();
    const refused = await command(USERS.carol, 'rollback shop');
    expect(allText(await refused.answer())).toContain('Only admins and the approvers of shop can roll it back');

    const before = await latestTask();
    mark = h.mark();
    await command(USERS.bob, 'rollback shop');
    await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL && !c.args.thread_ts, 20_000);
    const rollback = await latestTask();
    expect(rollback.id).toBeGreaterThan(before.id);
    expect(rollback).toMatchObject({ kind: 'rollback', requestedBy: USERS.bob });
    expect((await (h.runtime.coordinator.whenFinished(rollback.id) ?? h.runtime.events.waitForFinish(rollback.id))).status).toBe('success');
    expect([live(0), live(1)]).toEqual(['version 2\n', 'version 2\n']);
    // The rollback's message names its target with the ref it was deployed from.
    expect(JSON.stringify(messageOf(await task(rollback.id)).blocks)).toMatch(/to `\d{14}-\d+-[0-9a-f]{7} \(v2\)`/);

    mark = h.mark();
    await click(USERS.bob, TASK_ACTIONS.rollback, messageOf(await task(v3.id)), String(v3.id));
    expect(allText((await ephemeralTo(mark, USERS.bob)).args)).toContain('is no longer what runs on');
    expect((await latestTask()).id).toBe(rollback.id);
  });

  it('Reject asks for a reason (required) and records it; the thread shows it escaped', async () => {
    const { task: t, message } = await request(USERS.alice, 'shop v1');
    let mark = h.mark();
    await click(USERS.bob, TASK_ACTIONS.reject, messageOf(message), String(t.id));
    const opened = await h.openedView(mark);
    expect(opened.view).toMatchObject({ callback_id: CALLBACKS.reject });
    const metadata = String(opened.view.private_metadata);
    expect(JSON.parse(metadata)).toEqual({ channel: CHANNEL, taskId: t.id });

    const empty = await h.submit({ callback_id: CALLBACKS.reject, user_id: USERS.bob, private_metadata: metadata, values: { reason: plainValue('   ') } });
    expect(empty.json).toEqual({ response_action: 'errors', errors: { reason: 'a reason is required' } });
    expect(await task(t.id)).toMatchObject({ status: 'awaiting_approval' });

    mark = h.mark();
    const done = await h.submit({ callback_id: CALLBACKS.reject, user_id: USERS.bob, private_metadata: metadata, values: { reason: plainValue('not during the sale <!here>') } });
    expect(done.body).toBe('');
    const reply = await threadReply(mark, `Rejected by <@${USERS.bob}>`);
    expect(String(reply.args.text)).toContain('not during the sale &lt;!here&gt;');
    expect(await task(t.id)).toMatchObject({ status: 'rejected', rejectedBy: USERS.bob, rejectReason: 'not during the sale <!here>' });
  });

  it('Cancel on a scheduled deploy cancels it', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const { task: t, message } = await request(USERS.alice, `shop v3 at ${tomorrow} 09:00`);
    let mark = h.mark();
    await click(USERS.bob, TASK_ACTIONS.approve, messageOf(message), String(t.id));
    await threadReply(mark, 'Approved by');
    expect(await task(t.id)).toMatchObject({ status: 'scheduled' });
    mark = h.mark();
    await click(USERS.alice, TASK_ACTIONS.cancel, messageOf(message), String(t.id));
    await threadReply(mark, `Cancelled by <@${USERS.alice}>`);
    expect(await task(t.id)).toMatchObject({ status: 'cancelled', cancelledBy: USERS.alice });
  });

  it('Retry on a failed deploy ships its commit to the servers that did not get it, after approval', async () => {
    const { answer } = await command(USERS.admin, `project hooks shop before_deploy="test ! -e ${ROOT}/fail-here"`);
    expect(allText(await answer())).toContain('before_deploy');
    writeFileSync(join(servers[1]!.hostDir, 'fail-here'), 'x');
    const { task: failing, message } = await request(USERS.alice, 'shop v3');
    const failed = h.runtime.events.waitForFinish(failing.id);
    let mark = h.mark();
    await click(USERS.bob, TASK_ACTIONS.approve, messageOf(message), String(failing.id));
    expect((await failed).status).toBe('failed');
    await h.next(mark, (c) => c.method === 'chat.update' && c.args.ts === messageOf(message).ts && JSON.stringify(c.args.blocks).includes(TASK_ACTIONS.retry), 20_000);
    rmSync(join(servers[1]!.hostDir, 'fail-here'));

    mark = h.mark();
    await click(USERS.alice, TASK_ACTIONS.retry, messageOf(message), String(failing.id));
    const retry = await threadReply(mark, 'retries the failed servers as #');
    const retryId = Number(/#(\d+)/.exec(String(retry.args.text))![1]);
    const retryMessage = await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL && !c.args.thread_ts, 20_000);
    expect(await task(retryId)).toMatchObject({ status: 'awaiting_approval', requestedBy: USERS.alice });
    const done = h.runtime.events.waitForFinish(retryId);
    await click(USERS.bob, TASK_ACTIONS.approve, messageOf(retryMessage), String(retryId));
    expect((await done).status).toBe('success');
    expect(await task(retryId)).toMatchObject({ status: 'success', ref: (await task(failing.id)).commit });
    expect([live(0), live(1)]).toEqual(['version 3\n', 'version 3\n']);
  });

  it('acks every request well within 3 seconds', () => {
    expect(acks.length).toBeGreaterThan(15);
    for (const ms of acks) expect(ms).toBeLessThan(3000);
    void RESPONSE_URL_METHOD;
  });
});
