import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../../src/app-context.js';
import { startSlackApp, type RunningSlackApp } from '../../../src/chat/slack/index.js';
import { loadConfig } from '../../../src/config.js';
import { silentLogger } from '../../../src/log.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import { makeScratchDir, removeScratchDirs } from '../../support/scratch-dirs.js';
import { RESPONSE_URL_METHOD, startSlackApiStandIn, type SlackApiStandIn } from '../../support/slack/slack-api-stand-in.js';
import { SocketModeStandIn } from '../../support/slack/slack-socket-stand-in.js';
import { newTriggerId } from '../../support/slack/slack-requests.js';

/**
 * Socket Mode end to end: the real @slack/socket-mode client (inside Bolt) opens its connection
 * through apps.connections.open on the Web API stand-in, connects to the stand-in's WebSocket,
 * gets a slash command envelope, acks it, and answers through the response_url.
 */

const BOT = 'xoxb-socket-test';
const APP = 'xapp-1-socket-test';
let api: SlackApiStandIn;
let ws: SocketModeStandIn;
let context: AppContext;
let runtime: Runtime;
let slack: RunningSlackApp;

beforeAll(async () => {
  api = await startSlackApiStandIn({ token: BOT, appToken: APP });
  ws = await SocketModeStandIn.start(api, APP);
  const dataDir = makeScratchDir('deploybot-socket-');
  const config = loadConfig({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: APP, SLACK_API_URL: api.url, DEPLOYBOT_DATA_DIR: dataDir, DEPLOYBOT_ADMINS: 'UADMIN01', DEPLOYBOT_LOG_LEVEL: 'error' }, dataDir);
  context = await createAppContext(config, { log: silentLogger });
  runtime = createRuntime(context, { hookTimeoutMs: 60_000 });
  slack = await startSlackApp(runtime, { port: 0 });
}, 30_000);

afterAll(async () => {
  await slack?.stop();
  await runtime?.stop();
  await context?.close();
  await ws?.close();
  await api?.close();
  removeScratchDirs();
});

describe('Socket Mode against a local stand-in', () => {
  it('connects through apps.connections.open with the app token', async () => {
    await ws.connected();
    expect(ws.opened).toBe(1);
    expect(api.calls('apps.connections.open')[0]!.token).toBe(APP);
  });

  it('acks a slash command envelope and answers through its response_url', async () => {
    const responseUrl = api.responseUrl();
    const ack = await ws.deliver('slash_commands', {
      token: 'deprecated',
      team_id: 'T0DEPLOYBOT',
      team_domain: 'deploybot-test',
      channel_id: 'C0DEPLOYS',
      channel_name: 'deploys',
      user_id: 'UADMIN01',
      user_name: 'admin',
      command: '/deploy',
      text: 'server list',
      api_app_id: 'A0DEPLOYBOT',
      response_url: responseUrl,
      trigger_id: newTriggerId(),
    });
    expect(typeof ack.envelope_id).toBe('string');
    const answer = await api.waitFor((c) => c.method === RESPONSE_URL_METHOD && c.path === new URL(responseUrl).pathname);
    expect(answer.args).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('No servers yet') });
    expect(api.refusals().filter((c) => c.method !== 'apps.connections.open')).toEqual([]);
  });
});
