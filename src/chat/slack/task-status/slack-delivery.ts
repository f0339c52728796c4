import type { webApi } from '@slack/bolt';
import type { Logger } from '../../../log.js';
import { slackErrorCode } from '../modals.js';

/**
 * Getting a message or a file to a conversation the way Slack allows it:
 * - chat:write.public posts in public channels without membership, but sharing a file needs it:
 *   on `not_in_channel` the bot joins (channels:join, public channels only) and tries once more;
 * - where the bot cannot post at all (a private channel or a DM it is not in: `channel_not_found`)
 *   the caller falls back to a direct message, through `dmChannel`.
 * `isolated` runs one step so that its failure is logged and never stops the steps after it.
 */

/** Refusals that mean "the bot is not allowed there", not "Slack is down". */
const UNREACHABLE = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'method_not_supported_for_channel_type', 'restricted_action', 'cant_invite_self', 'missing_scope']);

export function isUnreachable(err: unknown): boolean {
  return UNREACHABLE.has(slackErrorCode(err));
}

export class SlackDelivery {
  private readonly dms = new Map<string, string>();
  /** Channels the bot joined or failed to join, so it asks Slack once per channel. */
  private readonly joined = new Map<string, boolean>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly log: Logger,
  ) {}

  /** Runs one post-task step; a failure is logged with `what` and swallowed. */
  async isolated(what: string, fn: () => Promise<unknown>, context: Record<string, unknown> = {}): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (err) {
      this.log.warn(`${what} failed`, { ...context, error: slackErrorCode(err) });
      return false;
    }
  }

  /** Runs `fn`; on `not_in_channel`, joins the (public) channel and runs it once more. */
  async asMember<T>(channel: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (slackErrorCode(err) !== 'not_in_channel' || !(await this.join(channel))) throw err;
      return fn();
    }
  }

  private async join(channel: string): Promise<boolean> {
    const known = this.joined.get(channel);
    if (known !== undefined) return known;
    const ok = await this.client.conversations
      .join({ channel })
      .then(() => true)
      .catch((err: unknown) => {
        this.log.info('could not join the channel', { channel, error: slackErrorCode(err) });
        return false;
      });
    this.joined.set(channel, ok);
    return ok;
  }

  /** The bot's DM with `user` (conversations.open), for uploads and fallbacks. */
  async dmChannel(user: string): Promise<string> {
    const known = this.dms.get(user);
    if (known) return known;
    const opened = await this.client.conversations.open({ users: user });
    const id = opened.channel?.id ?? user;
    this.dms.set(user, id);
    return id;
  }

  /** chat.postMessage that joins a public channel when Slack asks for membership. */
  post(args: { channel: string; text: string; thread_ts?: string; blocks?: unknown[] }): Promise<webApi.ChatPostMessageResponse> {
    const { blocks, ...rest } = args;
    return this.asMember(args.channel, () => this.client.chat.postMessage({ ...rest, ...(blocks ? { blocks: blocks as never } : {}), unfurl_links: false }));
  }

  /** filesUploadV2 that joins a public channel when Slack asks for membership. */
  upload(args: { channel: string; threadTs?: string; file: Buffer; filename: string; title: string }): Promise<unknown> {
    return this.asMember(args.channel, () =>
      this.client.filesUploadV2(
        args.threadTs
          ? { channel_id: args.channel, thread_ts: args.threadTs, file: args.file, filename: args.filename, title: args.title }
          : { channel_id: args.channel, file: args.file, filename: args.filename, title: args.title },
      ),
    );
  }
}
