import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TASK_ACTIONS } from '../../../src/chat/slack/action-ids.js';
import { resolveScheduleTime } from '../../../src/commands/grammar/schedule-time.js';
import { ACTIONS, CALLBACKS } from '../../../src/chat/slack/ids.js';
import { handleSubmission } from '../../../src/chat/slack/listeners/views/index.js';
import { ACK_BUDGET_MS } from '../../../src/chat/slack/slack-deps.js';
import type { Submitter } from '../../../src/chat/slack/submissions/submission.js';
import { submitDeploy } from '../../../src/chat/slack/submissions/task-submissions.js';
import type { TaskView } from '../../../src/core/views.js';
import { makeRepo, type TestRepo } from '../../support/git-repo.js';
import type { RecordedCall } from '../../support/slack/slack-api-stand-in.js';
import { removeScratchDirs } from '../../support/scratch-dirs.js';
import { unchangedValues } from '../../support/slack/slack-view-state.js';
import { generateKeyPair } from '../../support/ssh-keys.js';
import { ensureOpenSshServer, startSshd, type TestSshd } from '../../support/sshd.js';
import { allText, buttons, CHANNEL, plainValue, startSlackHarness, USERS, type SlackHarness } from './slack-harness.js';

/**
 * People hear from the bot, through the real Bolt endpoint and the strict stand-in: approvers are
 * mentioned and DM'd, requesters hear of approval, rejection (with the reason) and the result,
 * and a channel the bot may not share files in, or not post in at all, still gets everything
 * there is a way to deliver.
 */

const ROOT = '/srv/deploybot-test/app';
const OUTSIDE = 'C0OUTSIDE'; // public, the bot is not in it (chat:write.public posts, files need membership)
const LOCKED = 'C0LOCKED1'; // public, not a member, and the workspace forbids joining
const SECRET_ROOM = 'G0SECRET1'; // private, the bot is not in it
let h: SlackHarness;
let repo: TestRepo;
let server: TestSshd;

const latestTask = async (): Promise<TaskView> => (await h.runtime.app.withServices((s) => s.tasks.list({ limit: 1 })))[0]!;
const isDm = (c: RecordedCall) => c.method === 'chat.postMessage' && String(c.args.channel).startsWith('D');
const dmsTo = (user: string, from = 0) => h.standIn.calls().slice(from).filter((c) => isDm(c) && c.args.channel === `D${user}`);

async function ask(user: string, text: string, channel = CHANNEL) {
  const sent = await h.command(user, text, { channel });
  expect(sent.ack.status).toBe(200);
  return sent;
}

async function request(user: string, text: string, channel = CHANNEL): Promise<{ task: TaskView; message: RecordedCall }> {
  const mark = h.mark();
  await ask(user, text, channel);
  const message = await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.channel === channel && !c.args.thread_ts && c.status === 200, 20_000);
  return { task: await latestTask(), message };
}

/** An admin's text command, waited for until its answer (the command runs after the ack). */
async function setting(text: string): Promise<void> {
  const { answer } = await ask(USERS.admin, text);
  expect(allText(await answer())).toContain('Updated project');
}

const tsOf = (call: RecordedCall): string => String((call.response as { ts: string }).ts);

beforeAll(async () => {
  await ensureOpenSshServer();
  const key = await generateKeyPair();
  server = await startSshd({ authorizedKey: key.publicKey, deployRoot: ROOT });
  repo = await makeRepo({
    commits: [
      { files: { 'index.html': 'one\n' }, message: 'first', tag: 'v1' },
      { files: { 'index.html': 'two\n' }, message: 'second', tag: 'v2' },
    ],
  });
  h = await startSlackHarness({
    env: { DEPLOYBOT_SSH_KEY: key.privateKeyPath },
    channels: { [OUTSIDE]: { botIsMember: false }, [LOCKED]: { botIsMember: false }, [SECRET_ROOM]: { isPrivate: true, botIsMember: false } },
  });
  const approvers = [USERS.bob, USERS.admin].map((u) => `<@${u}>`).join(',');
  for (const text of [
    `server add web-1 root@127.0.0.1:${server.port}`,
    `project add shop repo=${repo.url} path=${ROOT}/shop servers=web-1 env=prod approvers=${approvers} channel=<#C0RESULTS|results>`,
    `project add blog repo=${repo.url} path=${ROOT}/blog servers=web-1 notify_requester=dm channel=<#${LOCKED}|locked>`,
  ]) {
    const { answer } = await ask(USERS.admin, text);
    expect(allText(await answer())).toMatch(/Added (server|project)/);
  }
}, 60_000);

afterEach(() => h.expectNoRefusals());

afterAll(async () => {
  await h?.close();
  await server?.stop();
  repo?.cleanup();
  removeScratchDirs();
});

describe('approvers are asked', () => {
  it('the approval message mentions the approvers, and each (but the requester) gets a DM with the buttons and a link', async () => {
    const from = h.mark();
    const { task, message } = await request(USERS.alice, 'shop v1');
    expect(task.status).toBe('awaiting_approval');
    expect(JSON.stringify(message.args.blocks)).toContain(`waiting for <@${USERS.bob}>, <@${USERS.admin}>`);
    const toBob = await h.next(from, (c) => isDm(c) && c.args.channel === `D${USERS.bob}`);
    await h.next(from, (c) => isDm(c) && c.args.channel === `D${USERS.admin}`);
    expect(dmsTo(USERS.alice, from)).toEqual([]);
    expect(allText(toBob.args)).toContain(`<@${USERS.alice}> asks you to approve deploy #${task.id} of *shop*`);
    expect(allText(toBob.args)).toContain('/archives/C0DEPLOYS/p'); // the permalink to the request
    expect(buttons(toBob.args.blocks).get(TASK_ACTIONS.approve)?.value).toBe(String(task.id));

    // Bob approves from his DM: the request's DMs lose their buttons, Alice hears of it in the thread.
    const finished = h.runtime.events.waitForFinish(task.id);
    const mark = h.mark();
    const res = await h.click({ action_id: TASK_ACTIONS.approve, value: String(task.id), user_id: USERS.bob, channel_id: `D${USERS.bob}`, message_ts: tsOf(toBob) });
    expect(res.status).toBe(200);
    const edited = await h.next(mark, (c) => c.method === 'chat.update' && c.args.channel === `D${USERS.bob}` && c.args.ts === tsOf(toBob));
    expect(buttons(edited.args.blocks).size).toBe(0);
    expect(allText(edited.args)).toContain(`approved by <@${USERS.bob}>`);
    await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.thread_ts === tsOf(message) && String(c.args.text).includes(`<@${USERS.alice}> your deploy #${task.id}`) && String(c.args.text).includes(`approved by <@${USERS.bob}>`));
    expect((await finished).status).toBe('success');
    // The result reply mentions the requester (notify_requester=mention, the default).
    await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.thread_ts === tsOf(message) && String(c.args.text).includes('succeeded') && String(c.args.text).includes(`cc <@${USERS.alice}>`), 20_000);
  });

  it('notify_approvers=mention mentions them without DMs; none does neither', async () => {
    await setting('project edit shop notify_approvers=mention');
    let from = h.mark();
    let { task, message } = await request(USERS.alice, 'shop v2');
    expect(JSON.stringify(message.args.blocks)).toContain(`waiting for <@${USERS.bob}>`);
    expect(h.standIn.calls().slice(from).filter(isDm)).toEqual([]);
    await h.runtime.app.withServices((s) => s.tasks.cancel(h.runtime.app.actor(USERS.alice), task.id));

    await setting('project edit shop notify_approvers=none');
    from = h.mark();
    ({ task, message } = await request(USERS.alice, 'shop v2'));
    expect(JSON.stringify(message.args.blocks)).not.toContain('waiting for <@');
    expect(h.standIn.calls().slice(from).filter(isDm)).toEqual([]);
    await h.runtime.app.withServices((s) => s.tasks.cancel(h.runtime.app.actor(USERS.alice), task.id));
    await setting('project edit shop notify_approvers=dm');
  });
});

describe('requesters hear back', () => {
  it('the requester is told the rejection reason (escaped), by DM when the project says dm', async () => {
    await setting('project edit shop notify_requester=dm');
    const { task, message } = await request(USERS.alice, 'shop v2');
    let mark = h.mark();
    await h.click({ action_id: TASK_ACTIONS.reject, value: String(task.id), user_id: USERS.bob, message_ts: tsOf(message) });
    const opened = await h.openedView(mark);
    mark = h.mark();
    const done = await h.submit({ callback_id: CALLBACKS.reject, user_id: USERS.bob, private_metadata: String(opened.view.private_metadata), values: { reason: plainValue('not during the sale <!here>') } });
    expect(done.status).toBe(200);
    const news = await h.next(mark, (c) => isDm(c) && c.args.channel === `D${USERS.alice}`);
    expect(String(news.args.text)).toContain(`your deploy #${task.id} of *shop*`);
    expect(String(news.args.text)).toContain(`rejected by <@${USERS.bob}>: not during the sale &lt;!here&gt;`);
    expect(String(news.args.text)).toContain('/archives/');
    await setting('project edit shop notify_requester=mention');
  });
});

describe('channels the bot is not in', () => {
  it('not_in_channel on the snapshot upload: the bot joins the public channel, and the result and notification still land', async () => {
    const { task, message } = await request(USERS.admin, 'blog v1', OUTSIDE);
    h.expectRefusal((c) => c.method === 'files.completeUploadExternal' && (c.response as { error?: string }).error === 'not_in_channel');
    const mark = h.mark();
    const finished = await h.runtime.events.waitForFinish(task.id);
    expect(finished.status).toBe('success');
    await h.next(0, (c) => c.method === 'conversations.join' && c.args.channel === OUTSIDE);
    // The result reply, in the thread.
    await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.thread_ts === tsOf(message) && String(c.args.text).includes(`Deploy #${task.id} succeeded`), 20_000);
    // The snapshot landed in the thread once the bot had joined.
    await h.next(0, (c) => c.method === 'files.completeUploadExternal' && c.args.channel_id === OUTSIDE && c.status === 200, 20_000);
    // The project's channel refuses files and forbids joining, but takes the one-line notification.
    const note = await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.channel === LOCKED, 20_000);
    expect(String(note.args.text)).toContain(`deploy #${task.id} blog v1 → test: succeeded`);
    // notify_requester=dm: the requester's news is a DM.
    await h.next(mark, (c) => isDm(c) && c.args.channel === `D${USERS.admin}` && String(c.args.text).includes('succeeded'), 20_000);
  });

  it('a failed upload never skips the rest: snapshots fall back to the requester DM, said once in the thread', async () => {
    h.standIn.failNext('conversations.join', { error: 'restricted_action', times: 10 });
    h.expectRefusal((c) => c.method === 'files.completeUploadExternal' && (c.response as { error?: string }).error === 'not_in_channel');
    const { task, message } = await request(USERS.alice, 'blog v2', LOCKED);
    const mark = h.mark();
    const finished = await h.runtime.events.waitForFinish(task.id);
    expect(finished.status).toBe('success');
    await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.channel === LOCKED && !c.args.thread_ts && String(c.args.text).includes(`deploy #${task.id}`), 20_000);
    await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.thread_ts === tsOf(message) && String(c.args.text).includes(`Deploy #${task.id} succeeded`), 20_000);
    const thread = h.standIn.calls('chat.postMessage').filter((c) => c.args.thread_ts === tsOf(message)).map((c) => String(c.args.text));
    expect(thread.filter((t) => t.includes('cannot share files in this channel'))).toHaveLength(1);
    const inDm = h.standIn.calls('files.completeUploadExternal').filter((c) => c.args.channel_id === `D${USERS.alice}` && c.status === 200);
    expect(inDm.length).toBeGreaterThanOrEqual(2); // start and end
  });

  it('/deploy in a private channel the bot is not in: an ephemeral answer says to invite it, and the request still reaches the approvers', async () => {
    const from = h.mark();
    h.expectRefusal((c) => c.method === 'chat.postMessage' && c.args.channel === SECRET_ROOM);
    const sent = await ask(USERS.alice, 'shop v2', SECRET_ROOM);
    const answer = allText(await sent.answer());
    expect(answer).toContain('/invite @deploybot');
    expect(answer).toContain('<#C0RESULTS>');
    const task = await latestTask();
    expect(task.status).toBe('awaiting_approval');
    const posted = await h.next(from, (c) => c.method === 'chat.postMessage' && c.args.channel === 'C0RESULTS' && !c.args.thread_ts && c.status === 200);
    expect(buttons(posted.args.blocks).get(TASK_ACTIONS.approve)?.value).toBe(String(task.id));
    await h.next(from, (c) => isDm(c) && c.args.channel === `D${USERS.bob}` && String(c.args.text).includes(`#${task.id}`));
    expect((await h.runtime.app.withServices((s) => s.tasks.show(task.id))).slack).toEqual({ channel: 'C0RESULTS', ts: tsOf(posted) });
  });
});

describe('the project form', () => {
  it('refuses a results channel the bot cannot post in, beside the input, and changes nothing', async () => {
    const mark = h.mark();
    await ask(USERS.admin, 'project edit blog');
    const opened = await h.openedView(mark);
    const values = unchangedValues(opened.view);
    values.notifyChannel = { value: { type: 'conversations_select', selected_conversation: SECRET_ROOM } };
    h.expectRefusal((c) => c.method === 'conversations.info' && c.args.channel === SECRET_ROOM);
    const res = await h.submit({ callback_id: CALLBACKS.projectEdit, user_id: USERS.admin, private_metadata: String(opened.view.private_metadata), values });
    expect(res.json).toMatchObject({ response_action: 'errors', errors: { notifyChannel: expect.stringContaining('/invite @deploybot') } });
    expect((await h.runtime.app.withServices((s) => s.projects.show('blog'))).notifyChannel).toBe(LOCKED);
  });
});

describe('immediate feedback and duplicates', () => {
  it('a duplicate /deploy within a minute gives one task, and points at it; both see "resolving" at once', async () => {
    const before = (await h.runtime.app.withServices((s) => s.tasks.list({ limit: 1 })))[0]?.id ?? 0;
    const [first, second] = await Promise.all([ask(USERS.carol, 'shop v1'), ask(USERS.carol, 'shop v1')]);
    for (const sent of [first, second]) {
      const posts = () => h.standIn.responsePosts(sent.responseUrl);
      await h.standIn.waitFor((c) => c.path === new URL(sent.responseUrl).pathname);
      expect(posts()[0]).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: 'Resolving v1 of shop…' });
    }
    const answers = [allText(await first.answer()), allText(await second.answer())];
    const created = await latestTask();
    expect(created.id).toBe(before + 1);
    expect(answers.filter((a) => a.includes(`You already asked for this: deploy #${created.id}`))).toHaveLength(1);
    expect(h.standIn.responsePosts(second.responseUrl).at(-1)).toMatchObject({ replace_original: true });
    // A third try, a little later, is still pointed at the same task.
    const third = await ask(USERS.carol, 'shop v1');
    expect(allText(await third.answer())).toContain(`You already asked for this: deploy #${created.id}`);
    expect((await latestTask()).id).toBe(created.id);
    // Someone else asking for the same is not a duplicate of Carol's request.
    await h.runtime.app.withServices((s) => s.tasks.cancel(h.runtime.app.actor(USERS.carol), created.id));
  });
});

describe('a form that outlasts Slack\'s 3 seconds', () => {
  it('closes, and the person sees "Resolving v1 of blog…" at once, then the task', async () => {
    const mark = h.mark();
    const acks: unknown[] = [];
    const values = {
      project: { [ACTIONS.deployProject]: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'blog' }, value: 'blog' } } },
      'version.blog': { [ACTIONS.deployVersion]: { type: 'external_select', selected_option: { text: { type: 'plain_text', text: 'v1' }, value: 'v1' } } },
    };
    // The real deploy submitter behind a fetch that takes longer than the ack budget.
    const slowFetch: Submitter = (deps, context) => new Promise((resolve) => setTimeout(resolve, ACK_BUDGET_MS + 500)).then(() => submitDeploy(deps, context));
    const body = { type: 'view_submission', user: { id: USERS.carol } } as never;
    const view = { callback_id: CALLBACKS.deploy, private_metadata: JSON.stringify({ channel: CHANNEL }), state: { values } } as never;
    const started = Date.now();
    await handleSubmission(h.slack.deps, { ack: (async (a?: unknown) => void acks.push([a, Date.now() - started])) as never, body, view, client: h.slack.app.client }, slowFetch);
    expect(acks).toHaveLength(1);
    const note = await h.next(mark, (c) => c.method === 'chat.postEphemeral' && c.args.user === USERS.carol);
    expect(String(note.args.text)).toBe('Resolving v1 of blog…');
    const message = await h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL && !c.args.thread_ts && String(c.args.text).includes('blog v1'));
    expect(note.at).toBeLessThan(message.at);
    const id = Number(/#(\d+)/.exec(String(message.args.text))![1]);
    await h.runtime.events.waitForFinish(id);
  });
});

describe('time zones', () => {
  it('`at 23:59` is read in the requester\'s zone from users.info, and shown with <!date^…>', async () => {
    h.standIn.respondWith('users.info', (args) => ({ ok: true, user: { id: String(args.user), tz: 'America/New_York', tz_offset: -18000 } }));
    const now = new Date();
    const { task, message } = await request(USERS.carol, 'blog v1 at 23:59');
    const expected = resolveScheduleTime({ kind: 'time-of-day', hour: 23, minute: 59 }, 'America/New_York', now);
    expect(task.status).toBe('scheduled');
    expect(task.scheduledAt?.toISOString()).toBe(expected.toISOString());
    expect(h.standIn.calls('users.info').at(-1)?.args.user).toBe(USERS.carol);
    expect(JSON.stringify(message.args.blocks)).toContain(`<!date^${expected.getTime() / 1000}^{date_short_pretty} at {time}|`);
    await h.runtime.app.withServices((s) => s.tasks.cancel(h.runtime.app.actor(USERS.carol), task.id));
  });
});
