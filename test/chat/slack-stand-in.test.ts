import type { AddressInfo } from 'node:net';
import { App, ExpressReceiver, LogLevel, webApi } from '@slack/bolt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RESPONSE_URL_METHOD, type SlackApiStandIn, startSlackApiStandIn, UPLOAD_METHOD } from '../support/slack/slack-api-stand-in.js';
import {
  sendBlockAction,
  sendBlockSuggestion,
  sendSignedRequest,
  sendSlashCommand,
  sendViewSubmission,
  signSlackRequest,
} from '../support/slack/slack-requests.js';

const TOKEN = 'xoxb-test-token';
const SECRET = 'test-signing-secret';
/** No extra backoff on top of Retry-After, so rate-limit tests take ~Retry-After seconds. */
const FAST_RETRY = webApi.retryPolicies.rapidRetryPolicy;

function client(standIn: SlackApiStandIn, options: webApi.WebClientOptions = {}): webApi.WebClient {
  return new webApi.WebClient(TOKEN, { slackApiUrl: standIn.url, retryConfig: FAST_RETRY, logLevel: webApi.LogLevel.ERROR, ...options });
}

describe('SlackApiStandIn with a real WebClient', () => {
  let standIn: SlackApiStandIn;
  beforeEach(async () => {
    standIn = await startSlackApiStandIn();
  });
  afterEach(async () => {
    await standIn.close();
  });

  it('records chat.postMessage with decoded args and the bearer token, and answers ts/channel', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Deploying* shop' } }];
    const res = await client(standIn).chat.postMessage({ channel: 'C0DEPLOYS', text: 'Deploying shop', blocks });
    expect(res.ok).toBe(true);
    expect(res.channel).toBe('C0DEPLOYS');
    expect(res.ts).toMatch(/^\d{10}\.\d{6}$/);
    const [call] = standIn.calls('chat.postMessage');
    expect(call).toMatchObject({ method: 'chat.postMessage', token: TOKEN, status: 200, path: '/api/chat.postMessage' });
    expect(call!.contentType).toBe('application/x-www-form-urlencoded');
    expect(call!.args).toMatchObject({ channel: 'C0DEPLOYS', text: 'Deploying shop', blocks });
    expect(call!.at).toBeGreaterThan(Date.now() - 5000);
    expect(standIn.messages('C0DEPLOYS')).toEqual([expect.objectContaining({ ts: res.ts, text: 'Deploying shop', updates: 0 })]);
  });

  it('keeps message state across chat.update and refuses to update a message never posted', async () => {
    const web = client(standIn);
    const posted = await web.chat.postMessage({ channel: 'C1', text: 'v1' });
    const thread = await web.chat.postMessage({ channel: 'C1', text: 'step', thread_ts: posted.ts! });
    expect(thread.message?.thread_ts).toBe(posted.ts);
    await web.chat.update({ channel: 'C1', ts: posted.ts!, text: 'v2' });
    expect(standIn.messages('C1')[0]).toMatchObject({ text: 'v2', updates: 1 });
    await expect(web.chat.update({ channel: 'C1', ts: '1.000000', text: 'x' })).rejects.toMatchObject({
      code: webApi.ErrorCode.PlatformError,
      data: { ok: false, error: 'message_not_found' },
    });
    const eph = await web.chat.postEphemeral({ channel: 'C1', user: 'U0ALICE', text: 'only you' });
    expect(eph.message_ts).toMatch(/^\d+\.\d+$/);
  });

  it('honours 429 + Retry-After exactly as Slack sends it: WebClient waits and retries', async () => {
    standIn.failNext('chat.postMessage', { status: 429, retryAfterSec: 1, times: 1 });
    const web = client(standIn);
    const rateLimited: number[] = [];
    web.on(webApi.WebClientEvent.RATE_LIMITED, (sec: number) => rateLimited.push(sec));
    const started = Date.now();
    const res = await web.chat.postMessage({ channel: 'C1', text: 'after the storm' });
    const elapsed = Date.now() - started;
    expect(res.ok).toBe(true);
    expect(rateLimited).toEqual([1]);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(4000);
    const calls = standIn.calls('chat.postMessage');
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect(calls[0]!.response).toEqual({ ok: false, error: 'ratelimited' });
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('counts failNext times and then answers normally', async () => {
    standIn.failNext('chat.update', { retryAfterSec: 0, times: 2 });
    const web = client(standIn);
    const posted = await web.chat.postMessage({ channel: 'C1', text: 'a' });
    await web.chat.update({ channel: 'C1', ts: posted.ts!, text: 'b' });
    expect(standIn.calls('chat.update').map((c) => c.status)).toEqual([429, 429, 200]);
  });

  it('a client that rejects rate-limited calls sees WebAPIRateLimitedError with retryAfter', async () => {
    standIn.failNext('chat.postMessage', { status: 429, retryAfterSec: 7 });
    await expect(client(standIn, { rejectRateLimitedCalls: true }).chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      code: webApi.ErrorCode.RateLimitedError,
      retryAfter: 7,
    });
  });

  it('answers { ok: false, error } on demand, and HTTP errors', async () => {
    standIn.failNext('conversations.info', { error: 'channel_not_found' });
    const web = client(standIn, { retryConfig: { retries: 0 } });
    await expect(web.conversations.info({ channel: 'C404' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    const info = await web.conversations.info({ channel: 'C0DEPLOYS' });
    expect(info.channel?.id).toBe('C0DEPLOYS');
    standIn.failNext('users.info', { status: 503 });
    await expect(web.users.info({ user: 'U1' })).rejects.toMatchObject({ code: webApi.ErrorCode.HTTPError, statusCode: 503 });
  });

  it('records unknown methods and answers unknown_method', async () => {
    await expect(client(standIn).apiCall('deploybot.nonsense', { a: 1 })).rejects.toMatchObject({ data: { error: 'unknown_method' } });
    expect(standIn.calls('deploybot.nonsense')).toEqual([expect.objectContaining({ args: { a: '1' }, status: 200 })]);
  });

  it('checks the token when told to', async () => {
    await standIn.close();
    standIn = await startSlackApiStandIn({ token: TOKEN });
    await expect(new webApi.WebClient('xoxb-wrong', { slackApiUrl: standIn.url, retryConfig: FAST_RETRY }).auth.test()).rejects.toMatchObject({
      data: { error: 'invalid_auth' },
    });
    const me = await client(standIn).auth.test();
    expect(me).toMatchObject({ ok: true, user_id: standIn.identity.botUserId, team_id: standIn.identity.teamId, bot_id: standIn.identity.botId });
  });

  it('serves users.info, views.open / push / update', async () => {
    const web = client(standIn);
    expect((await web.users.info({ user: 'U0ALICE' })).user).toMatchObject({ id: 'U0ALICE', tz: 'Europe/Paris' });
    const view = { type: 'modal' as const, callback_id: 'deploy', title: { type: 'plain_text' as const, text: 'Deploy' }, blocks: [] };
    const opened = await web.views.open({ trigger_id: '1.2.3', view });
    expect(opened.view).toMatchObject({ id: expect.stringMatching(/^V/), callback_id: 'deploy', type: 'modal' });
    const pushed = await web.views.push({ trigger_id: '1.2.4', view: { ...view, callback_id: 'confirm' } });
    expect(pushed.view?.previous_view_id).toBe(opened.view?.id);
    const updated = await web.views.update({ view_id: opened.view!.id!, view: { ...view, private_metadata: '{"step":2}' } });
    expect(updated.view).toMatchObject({ id: opened.view?.id, private_metadata: '{"step":2}' });
    await expect(web.views.open({ trigger_id: '', view })).rejects.toMatchObject({ data: { error: 'invalid_arguments' } });
    expect(standIn.calls('views.update')[0]!.args.view).toMatchObject({ private_metadata: '{"step":2}' });
  });

  it('round-trips filesUploadV2: getUploadURLExternal, multipart POST, completeUploadExternal in a thread', async () => {
    const web = client(standIn);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]);
    const res = await web.filesUploadV2({
      channel_id: 'C0DEPLOYS',
      thread_ts: '1764000000.000100',
      file: png,
      filename: 'flow.png',
      title: 'Flow snapshot',
      initial_comment: 'flow so far',
    });
    expect(res.ok).toBe(true);
    const [getUrl] = standIn.calls('files.getUploadURLExternal');
    expect(getUrl!.args).toMatchObject({ filename: 'flow.png', length: String(png.length) });
    const fileId = (getUrl!.response as { file_id: string }).file_id;
    const [upload] = standIn.calls(UPLOAD_METHOD);
    expect(upload!.args).toMatchObject({ file_id: fileId, length: png.length });
    expect(upload!.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(standIn.uploadedBytes(fileId)).toEqual(png);
    const [complete] = standIn.calls('files.completeUploadExternal');
    expect(complete!.args).toMatchObject({
      channel_id: 'C0DEPLOYS',
      thread_ts: '1764000000.000100',
      initial_comment: 'flow so far',
      files: [{ id: fileId, title: 'Flow snapshot' }],
    });
    expect(standIn.file(fileId)).toMatchObject({ completed: true, threadTs: '1764000000.000100', channelId: 'C0DEPLOYS', declaredLength: png.length });
    expect(standIn.calls().map((c) => c.method)).toEqual(['files.getUploadURLExternal', UPLOAD_METHOD, 'files.completeUploadExternal']);
  });

  it('refuses to complete an upload whose bytes never arrived', async () => {
    const web = client(standIn);
    const { file_id } = await web.files.getUploadURLExternal({ filename: 'a.txt', length: 3 });
    await expect(web.files.completeUploadExternal({ files: [{ id: file_id! }] })).rejects.toMatchObject({ data: { error: 'file_not_found' } });
  });

  it('accepts JSON bodies, as Slack does', async () => {
    const res = await fetch(`${standIn.url}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C1', text: 'json', blocks: [{ type: 'divider' }] }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C1' });
    expect(standIn.calls('chat.postMessage')[0]!.args).toEqual({ channel: 'C1', text: 'json', blocks: [{ type: 'divider' }] });
  });

  it('serves response_url posts and waitFor sees calls made later, or times out', async () => {
    const url = standIn.responseUrl();
    expect(url.startsWith(standIn.origin)).toBe(true);
    const seen = standIn.waitFor((c) => c.method === RESPONSE_URL_METHOD);
    const post = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi', response_type: 'ephemeral' }) });
    expect(post.status).toBe(200);
    expect((await seen).args).toEqual({ text: 'hi', response_type: 'ephemeral' });
    expect(standIn.responsePosts(url)).toEqual([{ text: 'hi', response_type: 'ephemeral' }]);
    expect(standIn.responsePosts(standIn.responseUrl())).toEqual([]);
    await expect(standIn.waitFor((c) => c.method === 'never', 50)).rejects.toThrow(/no matching call within 50 ms/);
  });
});

describe('signSlackRequest', () => {
  it('matches the HMAC in Slack\'s documentation example', () => {
    // https://docs.slack.dev/authentication/verifying-requests-from-slack/
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
      '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
      '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', body, 1531420618)).toEqual({
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      'x-slack-request-timestamp': '1531420618',
    });
  });
});

describe.each(['HTTPReceiver', 'ExpressReceiver'] as const)('signed requests through a real Bolt App (%s)', (receiverKind) => {
  let standIn: SlackApiStandIn;
  let app: App;
  let baseUrl: string;
  const commands: { text: string; user_id: string }[] = [];
  const actions: string[] = [];

  beforeAll(async () => {
    standIn = await startSlackApiStandIn({ token: TOKEN });
    const clientOptions = { slackApiUrl: standIn.url, retryConfig: FAST_RETRY };
    app =
      receiverKind === 'HTTPReceiver'
        ? new App({ token: TOKEN, signingSecret: SECRET, clientOptions, logLevel: LogLevel.ERROR })
        : new App({ token: TOKEN, receiver: new ExpressReceiver({ signingSecret: SECRET, logLevel: LogLevel.ERROR }), clientOptions, logLevel: LogLevel.ERROR });

    app.command('/deploy', async ({ ack, command, respond, client }) => {
      await ack();
      commands.push({ text: command.text, user_id: command.user_id });
      await respond({ response_type: 'ephemeral', text: `got: ${command.text}` });
      await client.chat.postMessage({ channel: command.channel_id, text: `${command.user_name} asked for ${command.text}` });
    });
    app.action('approve', async ({ ack, body }) => {
      await ack();
      if (body.type === 'block_actions') actions.push(`${body.user.id}:${(body.actions[0] as { value?: string }).value}`);
    });
    app.view('project-add', async ({ ack, view }) => {
      const repo = view.state.values.repo?.value?.value;
      await ack({ response_action: 'errors', errors: { repo: `cannot reach ${repo}` } });
    });
    app.options('server-picker', async ({ ack, payload }) => {
      await ack({ options: [{ text: { type: 'plain_text', text: `${payload.value}-1` }, value: `${payload.value}-1` }] });
    });

    const server = await app.start({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app.stop();
    await standIn.close();
  });

  it('calls auth.test on construction, through the stand-in', async () => {
    const call = await standIn.waitFor((c) => c.method === 'auth.test');
    expect(call.token).toBe(TOKEN);
  });

  it('delivers a signed slash command to the listener; respond() and client calls reach the stand-in', async () => {
    const responseUrl = standIn.responseUrl();
    const res = await sendSlashCommand(baseUrl, SECRET, { text: 'shop main at 18:30', user_id: 'U0ALICE', response_url: responseUrl });
    expect(res.status).toBe(200);
    expect(res.elapsedMs).toBeGreaterThanOrEqual(0);
    const posted = await standIn.waitFor((c) => c.method === 'chat.postMessage' && c.args.text === 'alice asked for shop main at 18:30');
    expect(posted.args.channel).toBe('C0DEPLOYS');
    expect(commands).toContainEqual({ text: 'shop main at 18:30', user_id: 'U0ALICE' });
    await standIn.waitFor((c) => c.method === RESPONSE_URL_METHOD && c.path === new URL(responseUrl).pathname);
    expect(standIn.responsePosts(responseUrl)).toEqual([{ response_type: 'ephemeral', text: 'got: shop main at 18:30' }]);
  });

  it('refuses a forged signature with 401 before any listener runs', async () => {
    const before = commands.length;
    const res = await sendSlashCommand(baseUrl, SECRET, { text: 'forged' }, { forgeSignature: true });
    expect(res.status).toBe(401);
    expect(commands.length).toBe(before);
  });

  it('refuses a stale timestamp with 401, even when correctly signed', async () => {
    const res = await sendSlashCommand(baseUrl, SECRET, { text: 'replayed' }, { stale: true });
    expect(res.status).toBe(401);
    expect(commands.some((c) => c.text === 'replayed')).toBe(false);
  });

  it('refuses a body changed after signing', async () => {
    const body = 'command=%2Fdeploy&text=shop+main';
    const headers = signSlackRequest(SECRET, body);
    const res = await fetch(`${baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: body.replace('main', 'evil'),
    });
    expect(res.status).toBe(401);
  });

  it('delivers block actions', async () => {
    const res = await sendBlockAction(baseUrl, SECRET, { action_id: 'approve', value: '12', user_id: 'U0BOB' });
    expect(res.status).toBe(200);
    expect(actions).toContain('U0BOB:12');
  });

  it('returns a view submission ack (response_action errors) in the HTTP body', async () => {
    const res = await sendViewSubmission(baseUrl, SECRET, {
      callback_id: 'project-add',
      values: { repo: { value: { type: 'plain_text_input', value: 'git@nowhere:x.git' } } },
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ response_action: 'errors', errors: { repo: 'cannot reach git@nowhere:x.git' } });
  });

  it('returns options for a block suggestion', async () => {
    const res = await sendBlockSuggestion(baseUrl, SECRET, { action_id: 'server-picker', value: 'web' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ options: [{ text: { type: 'plain_text', text: 'web-1' }, value: 'web-1' }] });
  });

  it('sendSignedRequest sends arbitrary bodies (an events API url_verification)', async () => {
    const res = await sendSignedRequest(baseUrl, SECRET, JSON.stringify({ type: 'url_verification', challenge: 'c-123' }), 'application/json');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ challenge: 'c-123' });
  });
});
