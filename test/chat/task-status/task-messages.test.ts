import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskMessages } from '../../../src/chat/slack/task-status/index.js';
import type { TaskMessages } from '../../../src/chat/slack/task-status/task-messages.js';
import { silentLogger } from '../../../src/log.js';
import { createRuntimeFixture, type RuntimeFixture } from '../../support/runtime-fixture.js';
import { startSlackApiStandIn, UPLOAD_METHOD } from '../../support/slack/slack-api-stand-in.js';

type StandIn = Awaited<ReturnType<typeof startSlackApiStandIn>>;
const CHANNEL = 'C0DEPLOYS';
const NOTIFY = 'C0NOTIFY1';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function deployThroughChat(f: RuntimeFixture, messages: TaskMessages, ref: string) {
  const outcome = await f.runtime.executor.run(f.admin.id, `app ${ref}`, { channel: CHANNEL });
  if (outcome.kind !== 'task') throw new Error(`expected a task, got ${JSON.stringify(outcome)}`);
  await messages.publish(outcome.task.id, CHANNEL);
  const finished = await (f.runtime.coordinator.whenFinished(outcome.task.id) ?? f.runtime.events.waitForFinish(outcome.task.id));
  await messages.stop(); // lets every pending Slack call land
  messages.start();
  return { taskId: outcome.task.id, finished };
}

function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('the live task message', () => {
  let slack: StandIn;
  let f: RuntimeFixture;
  let messages: TaskMessages;
  beforeAll(async () => {
    slack = await startSlackApiStandIn();
    f = await createRuntimeFixture({ servers: 2, env: { DEPLOYBOT_NOTIFY_CHANNEL: NOTIFY } });
    const client = new webApi.WebClient('xoxb-test-token', { slackApiUrl: slack.url, retryConfig: webApi.retryPolicies.rapidRetryPolicy });
    messages = createTaskMessages({ runtime: f.runtime, client, log: silentLogger });
    messages.start();
  });
  afterAll(async () => {
    await messages?.stop();
    await f?.close();
    await slack?.close();
  });

  it('posts one message, updates it to success, and threads the snapshot, result and notification', async () => {
    const { taskId, finished } = await deployThroughChat(f, messages, 'v1');
    expect(finished.status).toBe('success');

    const parents = slack.calls('chat.postMessage').filter((c) => c.args.channel === CHANNEL && !c.args.thread_ts);
    expect(parents).toHaveLength(1);
    const ts = (parents[0]!.response as { ts: string }).ts;
    const updates = slack.calls('chat.update').filter((c) => c.args.ts === ts);
    expect(updates.length).toBeGreaterThan(0);
    const last = updates.at(-1)!;
    expect(last.args.text).toBe(`deploy #${taskId} app v1 → test: succeeded`);
    expect(JSON.stringify(last.args.blocks)).toContain('task_rollback'); // the button that fits a success

    const thread = slack.calls('chat.postMessage').filter((c) => c.args.thread_ts === ts).map((c) => String(c.args.text));
    expect(thread.some((t) => t.includes(`Deploy #${taskId} succeeded`) && t.includes('2 servers now serve'))).toBe(true);

    const uploads = slack.calls('files.completeUploadExternal').filter((c) => c.args.thread_ts === ts);
    expect(uploads.length).toBe(2); // at the start and at the end
    const fileIds = slack.calls(UPLOAD_METHOD).map((c) => c.path.split('/').pop()!);
    const png = slack.uploadedBytes(fileIds.at(-1)!)!;
    expect(pngSize(png).width).toBeGreaterThan(1000);

    const note = slack.calls('chat.postMessage').find((c) => c.args.channel === NOTIFY);
    expect(note?.args.text).toMatch(new RegExp(`deploy #${taskId} app v1 → test: succeeded in`));

    // The task remembers its message, so a restarted bot edits the same one.
    const view = await f.runtime.app.withServices((s) => s.tasks.show(taskId));
    expect(view.slack).toEqual({ channel: CHANNEL, ts });
  });

  it('replies in the thread with the server, stage, exit code and output of a failure', async () => {
    await f.runtime.app.withServices((s) => s.projects.setHooks(f.admin, 'app', { before_deploy: 'if [ "$DEPLOY_SERVER" = web-2 ]; then echo "cannot open database.yml" >&2; exit 7; fi' }));
    const { finished } = await deployThroughChat(f, messages, 'v2');
    expect(finished.status).toBe('failed');
    const failure = slack.calls('chat.postMessage').find((c) => String(c.args.text).startsWith('✗ web-2 failed at before_deploy (exit code 7)'));
    expect(failure).toBeDefined();
    expect(JSON.stringify(failure!.args.blocks)).toContain('cannot open database.yml');
    const uploads = slack.calls('files.completeUploadExternal').filter((c) => c.args.thread_ts === failure!.args.thread_ts);
    expect(uploads.length).toBe(3); // start, failure, end
    const lastUpdate = slack.calls('chat.update').filter((c) => c.args.ts === failure!.args.thread_ts).at(-1)!;
    expect(String(lastUpdate.args.text)).toMatch(/: failed$/);
    expect(JSON.stringify(lastUpdate.args.blocks)).toContain('web-2');
    await f.runtime.app.withServices((s) => s.projects.setHooks(f.admin, 'app', { before_deploy: '' }));
  });
});

describe('twenty servers and a rate-limited Slack', () => {
  let slack: StandIn;
  let f: RuntimeFixture;
  beforeAll(async () => {
    slack = await startSlackApiStandIn();
    f = await createRuntimeFixture({ servers: 20, project: { maxParallel: 20 } });
  }, 240_000);
  afterAll(async () => {
    await f?.close();
    await slack?.close();
  });

  it('coalesces updates to about one a second and the final state still lands through 429s', async () => {
    const client = new webApi.WebClient('xoxb-test-token', { slackApiUrl: slack.url, retryConfig: webApi.retryPolicies.rapidRetryPolicy });
    const messages = createTaskMessages({ runtime: f.runtime, client, log: silentLogger });
    messages.start();
    slack.failNext('chat.update', { retryAfterSec: 1, times: 3 });
    const started = Date.now();
    const { taskId, finished } = await deployThroughChat(f, messages, 'v1');
    const seconds = (Date.now() - started) / 1000;
    await messages.stop();
    expect(finished.status).toBe('success');

    const ts = (slack.calls('chat.postMessage').find((c) => !c.args.thread_ts)!.response as { ts: string }).ts;
    const updates = slack.calls('chat.update').filter((c) => c.args.ts === ts);
    // Uncoalesced, 20 servers × 4 stages × 2 events alone would be 160 updates.
    console.log(`20-server deploy: ${seconds.toFixed(1)}s, ${updates.length} chat.update calls (${updates.filter((u) => u.status === 429).length} answered 429)`);
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(seconds) + 4);
    const landed = updates.filter((u) => u.status === 200).at(-1)!;
    expect(landed.args.text).toBe(`deploy #${taskId} app v1 → test: succeeded`);
    expect(slack.messages(CHANNEL).find((m) => m.ts === ts)?.text).toBe(`deploy #${taskId} app v1 → test: succeeded`);

    const fileIds = slack.calls(UPLOAD_METHOD).map((c) => c.path.split('/').pop()!);
    const png = slack.uploadedBytes(fileIds.at(-1)!)!;
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});
