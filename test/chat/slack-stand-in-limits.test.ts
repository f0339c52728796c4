import { webApi } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { replyMessage } from '../../src/chat/slack/blocks/reply-blocks.js';
import { reply } from '../../src/commands/replies/reply.js';
import { blockErrors, MESSAGE_RULES } from '../support/slack/slack-block-limits.js';
import { type SlackApiStandIn, startSlackApiStandIn, type StandInOptions } from '../support/slack/slack-api-stand-in.js';

/**
 * The stand-in refuses what Slack refuses, with Slack's error codes, so a test cannot pass where
 * Slack would not: Block Kit limits, channel membership, and chat.update's rate-limit tier.
 */

const TOKEN = 'xoxb-limits';
let standIn: SlackApiStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

async function web(options: StandInOptions = {}): Promise<webApi.WebClient> {
  standIn = await startSlackApiStandIn(options);
  return new webApi.WebClient(TOKEN, { slackApiUrl: standIn.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: webApi.LogLevel.ERROR });
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const refusal = (promise: Promise<unknown>) => promise.then(() => 'accepted', (err: { data?: { error?: string }; code?: string }) => err.data?.error ?? err.code);

describe('Block Kit limits', () => {
  it('answers invalid_blocks for 51 blocks, an over-long or empty section text, and duplicate action_ids', async () => {
    const client = await web();
    const button = (id: string) => ({ type: 'button', text: { type: 'plain_text', text: 'Go' }, action_id: id, value: '1' });
    expect(await refusal(client.chat.postMessage({ channel: 'C1', text: 't', blocks: Array.from({ length: 51 }, () => section('x')) }))).toBe('invalid_blocks');
    expect(await refusal(client.chat.postMessage({ channel: 'C1', text: 't', blocks: Array.from({ length: 50 }, () => section('x')) }))).toBe('accepted');
    expect(await refusal(client.chat.postMessage({ channel: 'C1', text: 't', blocks: [section('x'.repeat(3001))] }))).toBe('invalid_blocks');
    expect(await refusal(client.chat.postMessage({ channel: 'C1', text: 't', blocks: [section('')] }))).toBe('invalid_blocks');
    expect(await refusal(client.chat.postMessage({ channel: 'C1', text: 't', blocks: [{ type: 'actions', elements: [button('a'), button('a')] }] as never }))).toBe('invalid_blocks');
    expect(await refusal(client.chat.postMessage({ channel: 'C1', text: 'x'.repeat(40_001) }))).toBe('msg_too_long');
    const posted = await client.chat.postMessage({ channel: 'C1', text: 't' });
    expect(await refusal(client.chat.update({ channel: 'C1', ts: posted.ts!, text: 't', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] }))).toBe('invalid_blocks');
    const [refused] = standIn!.refusals();
    expect(refused!.response).toMatchObject({ error: 'invalid_blocks', response_metadata: { messages: ['[ERROR] must provide no more than 50 items [json-pointer:/blocks]'] } });
  });

  it('allows 100 blocks in a view and refuses 101, and an over-long title', async () => {
    const client = await web();
    const view = (n: number, title = 'Deploy') => ({ type: 'modal' as const, title: { type: 'plain_text' as const, text: title }, blocks: Array.from({ length: n }, () => section('x')) });
    expect(await refusal(client.views.open({ trigger_id: '1.2.3', view: view(100) as never }))).toBe('accepted');
    expect(await refusal(client.views.open({ trigger_id: '1.2.3', view: view(101) as never }))).toBe('invalid_arguments');
    expect(await refusal(client.views.open({ trigger_id: '1.2.3', view: view(1, 'A title longer than 24 chars') as never }))).toBe('invalid_arguments');
  });

  it('every reply the command layer can build, even an empty one, passes the validator', () => {
    const empty = [
      reply('nothing', { type: 'text', text: '' }),
      reply('nothing', { type: 'list', items: [] }),
      reply('nothing', { type: 'code', text: '' }),
      reply('nothing', { type: 'context', text: '' }),
      reply('nothing', { type: 'fields', fields: [] }),
      reply('nothing', { type: 'heading', text: '' }, { type: 'text', text: '   ' }),
      { text: '', blocks: [] },
    ];
    for (const r of empty) {
      const message = replyMessage(r);
      expect(blockErrors(message.blocks, MESSAGE_RULES), JSON.stringify(r)).toEqual([]);
      expect(message.text.length).toBeGreaterThan(0);
    }
  });
});

describe('channel membership', () => {
  const channels = { C0PUBLIC: { botIsMember: false }, C0MEMBER: {}, G0SECRET: { isPrivate: true, botIsMember: false }, D0PEOPLE: { isIm: true } };

  it('posts in a public channel without membership (chat:write.public) but shares files only as a member', async () => {
    const client = await web({ channels });
    expect(await refusal(client.chat.postMessage({ channel: 'C0PUBLIC', text: 'hi' }))).toBe('accepted');
    expect(await refusal(client.filesUploadV2({ channel_id: 'C0PUBLIC', file: Buffer.from('png'), filename: 'a.png' }))).toBe('not_in_channel');
    expect(await refusal(client.conversations.join({ channel: 'C0PUBLIC' }))).toBe('accepted');
    expect(await refusal(client.filesUploadV2({ channel_id: 'C0PUBLIC', file: Buffer.from('png'), filename: 'a.png' }))).toBe('accepted');
  });

  it('private channels and DMs the bot is not in do not exist for it; a user id is its DM', async () => {
    const client = await web({ channels });
    expect(await refusal(client.chat.postMessage({ channel: 'G0SECRET', text: 'hi' }))).toBe('channel_not_found');
    expect(await refusal(client.chat.postMessage({ channel: 'D0PEOPLE', text: 'hi' }))).toBe('channel_not_found');
    expect(await refusal(client.chat.postMessage({ channel: 'C0UNKNOWN', text: 'hi' }))).toBe('channel_not_found');
    expect(await refusal(client.conversations.join({ channel: 'G0SECRET' }))).toBe('channel_not_found');
    expect(await refusal(client.conversations.info({ channel: 'G0SECRET' }))).toBe('channel_not_found');
    expect((await client.conversations.info({ channel: 'C0PUBLIC' })).channel).toMatchObject({ is_member: false, is_private: false });
    expect(await refusal(client.chat.postMessage({ channel: 'UALICE01', text: 'hi' }))).toBe('accepted');
  });
});

describe('rate limits', () => {
  it('answers 429 ratelimited with Retry-After on chat.update beyond its tier', async () => {
    const client = await web({ rateLimits: { 'chat.update': { calls: 5, windowMs: 2000, per: 'workspace' } } });
    const posted = await client.chat.postMessage({ channel: 'C1', text: 't' });
    for (let i = 0; i < 5; i++) await client.chat.update({ channel: 'C1', ts: posted.ts!, text: `t${i}` });
    const err = await client.chat.update({ channel: 'C1', ts: posted.ts!, text: 'over' }).catch((e: unknown) => e as { code: string; retryAfter: number });
    expect(err).toMatchObject({ code: webApi.ErrorCode.RateLimitedError, retryAfter: 2 });
    expect(standIn!.refusals().map((c) => [c.status, c.response])).toEqual([[429, { ok: false, error: 'ratelimited' }]]);
  });
});
