import { webApi } from '@slack/bolt';
import { createAppContext } from '../../../src/app-context.js';
import { startSlackApp, type RunningSlackApp } from '../../../src/chat/slack/index.js';
import { createTaskMessages } from '../../../src/chat/slack/task-status/index.js';
import { loadConfig, type Config } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import type { Args } from '../../support/slack/slack-api-methods.js';
import { RESPONSE_URL_METHOD, startSlackApiStandIn, type RecordedCall, type SlackApiStandIn } from '../../support/slack/slack-api-stand-in.js';
import {
  sendBlockAction,
  sendBlockSuggestion,
  sendSlashCommand,
  sendViewSubmission,
  type BlockActionFields,
  type BlockSuggestionFields,
  type SendOptions,
  type SlackHttpResponse,
  type ViewSubmissionFields,
} from '../../support/slack/slack-requests.js';
import { makeScratchDir, removeScratchDir } from '../../support/scratch-dirs.js';
import type { ChannelSpec } from '../../support/slack/slack-channels.js';
import type { RateLimit } from '../../support/slack/slack-rate-limits.js';
import { SlackBudget } from '../../../src/chat/slack/task-status/slack-budget.js';

/**
 * Slack's tiers at ten times the speed: the stand-in enforces them, and the bot's budget is set
 * to the same numbers with the production margin (45 of 50 updates per window).
 */
export const FAST_TIERS: Record<string, RateLimit> = {
  'chat.update': { calls: 50, windowMs: 6000, per: 'workspace' },
  'chat.postMessage': { calls: 60, windowMs: 6000, per: 'channel' },
};
export const fastBudget = (): SlackBudget => new SlackBudget({ updates: 45, postsPerChannel: 50, windowMs: 6000 });

/**
 * The whole Slack adapter as it runs in production: real config → SQLite → runtime → Bolt HTTP
 * receiver on a loopback port, talking to the Slack Web API stand-in. Requests are signed exactly
 * as Slack signs them. Logs are kept (at debug level) so tests can check what never appears there.
 */
export const TOKEN = 'xoxb-test-slack-adapter-token';
export const SECRET = '8f742231b10e8888abcd99aaabbb85a5';
export const CHANNEL = 'C0DEPLOYS';
export const USERS = {
  admin: 'UADMIN01',
  alice: 'UALICE01',
  bob: 'UBOB0001',
  carol: 'UCAROL01',
} as const;

export interface SlackHarness {
  standIn: SlackApiStandIn;
  runtime: Runtime;
  slack: RunningSlackApp;
  config: Config;
  baseUrl: string;
  logs: string[];
  /** Index of the next recorded call: pass it to `next` to only see what happens after this point. */
  mark(): number;
  /** Waits for a call recorded after `mark` that matches. */
  next(mark: number, predicate: (call: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  /** `/deploy <text>` as `user`; resolves with the HTTP ack and the first response_url post. */
  command(user: string, text: string, options?: { channel?: string; send?: SendOptions }): Promise<{ ack: SlackHttpResponse; answer: () => Promise<Args>; responseUrl: string }>;
  click(fields: BlockActionFields, send?: SendOptions): Promise<SlackHttpResponse>;
  submit(fields: ViewSubmissionFields, send?: SendOptions): Promise<SlackHttpResponse>;
  suggest(fields: BlockSuggestionFields, send?: SendOptions): Promise<SlackHttpResponse>;
  /** The latest views.open call recorded after `mark`. */
  openedView(mark: number): Promise<Args & { view: Record<string, unknown> }>;
  /** The test expects Slack to refuse calls like these (e.g. not_in_channel); they don't fail it. */
  expectRefusal(predicate: (call: RecordedCall) => boolean): void;
  /**
   * Throws when Slack refused a call of the bot that no `failNext` planned and no `expectRefusal`
   * allowed: run it after each test (`afterEach(() => h.expectNoRefusals())`).
   */
  expectNoRefusals(): void;
  close(): Promise<void>;
}

/** The workspace the harness plays: the channels tests use, with the bot in them. */
export const HARNESS_CHANNELS: Record<string, ChannelSpec> = {
  C0DEPLOYS: { name: 'deploys' },
  C0RESULTS: { name: 'results' },
  C0NOTIFY1: { name: 'notify' },
};

export async function startSlackHarness(
  options: { env?: Record<string, string>; channels?: Record<string, ChannelSpec>; rateLimits?: Record<string, RateLimit> } = {},
): Promise<SlackHarness> {
  const standIn = await startSlackApiStandIn({ token: TOKEN, channels: { ...HARNESS_CHANNELS, ...options.channels }, rateLimits: options.rateLimits ?? FAST_TIERS });
  const allowed: ((call: RecordedCall) => boolean)[] = [];
  let checked = 0;
  const dataDir = makeScratchDir('deploybot-slack-');
  const config = loadConfig(
    {
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: standIn.url,
      DEPLOYBOT_DATA_DIR: dataDir,
      DEPLOYBOT_ADMINS: USERS.admin,
      DEPLOYBOT_TIMEZONE: 'UTC',
      DEPLOYBOT_LOG_LEVEL: 'debug',
      ...options.env,
    },
    dataDir,
  );
  const logs: string[] = [];
  const context = await createAppContext(config, { log: createLogger({ level: 'debug', redactor: undefined, write: (line) => logs.push(line) }) });
  const runtime = createRuntime(context, { hookTimeoutMs: 60_000 });
  const slack = await startSlackApp(runtime, {
    port: 0,
    host: '127.0.0.1',
    clientOptions: { retryConfig: webApi.retryPolicies.rapidRetryPolicy },
    taskMessages: (client) => createTaskMessages({ runtime, client, log: context.log, updateIntervalMs: 50, budget: fastBudget() }),
  });
  const baseUrl = `http://127.0.0.1:${slack.port}`;

  const mark = () => standIn.calls().length;
  const next = (from: number, predicate: (call: RecordedCall) => boolean, timeoutMs = 10_000) =>
    standIn.waitFor((call) => standIn.calls().indexOf(call) >= from && predicate(call), timeoutMs);

  return {
    standIn,
    runtime,
    slack,
    config,
    baseUrl,
    logs,
    mark,
    next,
    async command(user, text, o = {}) {
      const responseUrl = standIn.responseUrl();
      const path = new URL(responseUrl).pathname;
      const ack = await sendSlashCommand(baseUrl, SECRET, { text, user_id: user, user_name: user.toLowerCase(), channel_id: o.channel ?? CHANNEL, response_url: responseUrl }, o.send);
      // The answer, after any progress note ("Resolving v2 of shop…") that it replaces.
      const isNote = (c: RecordedCall) => String(c.args.text ?? '').startsWith('Resolving ');
      return { ack, responseUrl, answer: async () => (await standIn.waitFor((c) => c.method === RESPONSE_URL_METHOD && c.path === path && !isNote(c), 15_000)).args };
    },
    click: (fields, send) => sendBlockAction(baseUrl, SECRET, { channel_id: CHANNEL, ...fields }, send),
    submit: (fields, send) => sendViewSubmission(baseUrl, SECRET, fields, send),
    suggest: (fields, send) => sendBlockSuggestion(baseUrl, SECRET, fields, send),
    async openedView(from) {
      const call = await next(from, (c) => c.method === 'views.open');
      return call.args as Args & { view: Record<string, unknown> };
    },
    expectRefusal(predicate) {
      allowed.push(predicate);
    },
    expectNoRefusals() {
      const all = standIn.refusals();
      const fresh = all.slice(checked);
      checked = all.length;
      const unexpected = fresh.filter((c) => !allowed.some((p) => p(c)));
      allowed.length = 0;
      if (unexpected.length) {
        const lines = unexpected.map((c) => `${c.method} → ${c.status} ${JSON.stringify(c.response)} (args ${JSON.stringify(c.args).slice(0, 400)})`);
        throw new Error(`Slack refused ${unexpected.length} call(s) of the bot:\n${lines.join('\n')}`);
      }
    },
    async close() {
      await slack.stop();
      await runtime.stop();
      await context.close();
      await standIn.close();
      removeScratchDir(dataDir);
    },
  };
}

/** Text of every block of a message or response (sections, fields, context), joined. */
export function allText(message: { text?: unknown; blocks?: unknown }): string {
  return [String(message.text ?? ''), JSON.stringify(message.blocks ?? [])].join('\n');
}

/** The action elements of a message's blocks, by action_id. */
export function buttons(blocks: unknown): Map<string, { action_id: string; value?: string; confirm?: unknown }> {
  const out = new Map<string, { action_id: string; value?: string; confirm?: unknown }>();
  for (const block of (blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[] | undefined) ?? []) {
    if (block.type !== 'actions') continue;
    for (const e of block.elements ?? []) if (e.action_id) out.set(e.action_id, e as { action_id: string; value?: string });
  }
  return out;
}

/** A view_submission `values` entry. */
export const plainValue = (value: string | null) => ({ value: { type: 'plain_text_input', value } });
export const numberValue = (value: string | null) => ({ value: { type: 'number_input', value } });
export const radioValue = (value: string) => ({ value: { type: 'radio_buttons', selected_option: { value, text: { type: 'plain_text', text: value } } } });
export const optionValue = (actionId: string, value: string | null, type = 'static_select') => ({
  [actionId]: { type, selected_option: value === null ? null : { value, text: { type: 'plain_text', text: value } } },
});
