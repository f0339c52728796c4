/**
 * Conversations as Slack's Web API sees them from a bot: public and private channels with their
 * members, and direct messages. What the stand-in answers follows docs.slack.dev:
 * - chat.postMessage / postEphemeral: a public channel works without membership (chat:write.public);
 *   a private channel or a DM the bot is not in does not exist for it (`channel_not_found`).
 * - files.completeUploadExternal shares into a channel only as a member: `not_in_channel`
 *   (public) or `channel_not_found` (private) otherwise.
 * - conversations.join works on public channels only (`method_not_supported_for_channel_type`).
 * - Posting to a user id (`U…`) goes to the bot's DM with that user.
 */

export interface ChannelSpec {
  /** Private channel (`G…`/`C…` with is_private): invisible to a bot that is not a member. */
  isPrivate?: boolean;
  /** A DM between people (`D…`): the bot is never a member. */
  isIm?: boolean;
  /** Whether the bot is in it (default true for channels, false for DMs). */
  botIsMember?: boolean;
  name?: string;
  archived?: boolean;
}

export interface Channel {
  id: string;
  name: string;
  isPrivate: boolean;
  isIm: boolean;
  botIsMember: boolean;
  archived: boolean;
}

export type Access = { ok: true; channel: Channel | null } | { ok: false; error: string };

export class SlackChannels {
  private readonly channels = new Map<string, Channel>();

  /**
   * @param strict When true, only declared channels exist (others: channel_not_found); when false,
   *   an undeclared `C…` id is a public channel the bot is in (for tests that don't care).
   */
  constructor(private readonly strict: boolean) {}

  declare(id: string, spec: ChannelSpec = {}): Channel {
    const channel: Channel = {
      id,
      name: spec.name ?? `channel-${id.toLowerCase()}`,
      isPrivate: spec.isPrivate ?? false,
      isIm: spec.isIm ?? false,
      botIsMember: spec.botIsMember ?? !(spec.isIm ?? false),
      archived: spec.archived ?? false,
    };
    this.channels.set(id, channel);
    return channel;
  }

  get(id: string): Channel | undefined {
    const known = this.channels.get(id);
    if (known || this.strict || !/^C[A-Z0-9]+$/.test(id)) return known;
    return this.declare(id);
  }

  /** A user id is the bot's DM with that user: always reachable. */
  static isUser(id: string): boolean {
    return /^[UW][A-Z0-9]+$/.test(id);
  }

  /** Can the bot post a message here (chat:write + chat:write.public)? */
  canPost(id: string | undefined): Access {
    if (id === undefined || id === '') return { ok: false, error: 'channel_not_found' };
    if (SlackChannels.isUser(id)) return { ok: true, channel: null };
    const c = this.get(id);
    if (c === undefined) return { ok: false, error: 'channel_not_found' };
    if (!c.botIsMember && (c.isPrivate || c.isIm)) return { ok: false, error: 'channel_not_found' };
    if (c.archived) return { ok: false, error: 'is_archived' };
    return { ok: true, channel: c };
  }

  /** Can the bot share a file here (needs membership)? */
  canShareFile(id: string | undefined): Access {
    const post = this.canPost(id);
    if (!post.ok || post.channel === null) return post;
    if (!post.channel.botIsMember) return { ok: false, error: 'not_in_channel' };
    return post;
  }

  join(id: string | undefined): Access {
    const c = id === undefined ? undefined : this.get(id);
    if (c === undefined || (c.isPrivate && !c.botIsMember)) return { ok: false, error: 'channel_not_found' };
    if (c.isPrivate || c.isIm) return { ok: false, error: 'method_not_supported_for_channel_type' };
    if (c.archived) return { ok: false, error: 'is_archived' };
    c.botIsMember = true;
    return { ok: true, channel: c };
  }
}
