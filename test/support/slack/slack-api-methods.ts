/**
 * The Web API methods the Slack stand-in answers by default, with the little state they need
 * (messages by channel+ts, open views, upload slots). Shapes follow docs.slack.dev; only the
 * fields a bot reads are filled. Validation mirrors Slack's where a bug would otherwise hide
 * (chat.update of a message that was never posted answers `message_not_found`).
 */

import { blockErrors, MESSAGE_RULES, MESSAGE_TEXT_MAX, viewErrors } from './slack-block-limits.js';
import { SlackChannels } from './slack-channels.js';

export type Args = Record<string, unknown>;
export type ApiAnswer = Record<string, unknown> & { ok: boolean };

export interface StandInIdentity {
  teamId: string;
  teamDomain: string;
  botUserId: string;
  botId: string;
  appId: string;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text?: string;
  blocks?: unknown;
  attachments?: unknown;
  /** How many chat.update calls changed it. */
  updates: number;
  /** True for chat.postEphemeral messages (only `user` sees them). */
  ephemeralFor?: string;
}

export interface StoredFile {
  id: string;
  filename: string;
  /** `length` declared in files.getUploadURLExternal. */
  declaredLength: number;
  bytes?: Buffer;
  contentType?: string;
  completed: boolean;
  title?: string;
  channelId?: string;
  threadTs?: string;
  initialComment?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const fail = (error: string): ApiAnswer => ({ ok: false, error });

/** What Slack answers to blocks it refuses: the error and the offending places. */
function invalid(error: string, messages: string[]): ApiAnswer {
  return { ok: false, error, errors: messages, response_metadata: { messages } };
}

/** Slack's checks of a message body: blocks, attachments' blocks, and the text's length. */
export function messageErrors(args: Args): ApiAnswer | undefined {
  if (args.blocks !== undefined) {
    const errors = blockErrors(args.blocks, MESSAGE_RULES);
    if (errors.length) return invalid('invalid_blocks', errors);
  }
  if (typeof args.text === 'string' && [...args.text].length > MESSAGE_TEXT_MAX) return fail('msg_too_long');
  return undefined;
}

export class SlackApiState {
  readonly messages: StoredMessage[] = [];
  readonly views = new Map<string, Args>();
  readonly files = new Map<string, StoredFile>();
  private counter = 0;

  constructor(
    private readonly id: StandInIdentity,
    private readonly uploadUrl: (fileId: string) => string,
    readonly channels: SlackChannels = new SlackChannels(false),
  ) {}

  /** Unique, increasing message timestamps shaped like Slack's (`1764000000.000101`). */
  nextTs(): string {
    this.counter += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.counter).padStart(6, '0')}`;
  }

  private nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}0${String(this.counter).padStart(8, '0')}`;
  }

  findMessage(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  private messageView(m: StoredMessage): Args {
    return {
      type: 'message',
      user: this.id.botUserId,
      bot_id: this.id.botId,
      app_id: this.id.appId,
      team: this.id.teamId,
      ts: m.ts,
      ...(m.threadTs === undefined ? {} : { thread_ts: m.threadTs }),
      ...(m.text === undefined ? {} : { text: m.text }),
      ...(m.blocks === undefined ? {} : { blocks: m.blocks }),
      ...(m.attachments === undefined ? {} : { attachments: m.attachments }),
    };
  }

  private viewObject(view: Args, id: string, previous?: Args): Args {
    return {
      id,
      team_id: this.id.teamId,
      app_id: this.id.appId,
      bot_id: this.id.botId,
      type: 'modal',
      blocks: [],
      private_metadata: '',
      callback_id: '',
      external_id: '',
      clear_on_close: false,
      notify_on_close: false,
      root_view_id: (previous?.root_view_id as string | undefined) ?? id,
      previous_view_id: null,
      ...view,
      state: { values: {} },
      hash: `${Date.now()}.${this.nextId('H')}`,
    };
  }

  /** Default answer of a method, or undefined when the stand-in doesn't know it. */
  answer(method: string, args: Args): ApiAnswer | undefined {
    const handler = this.handlers[method];
    return handler === undefined ? undefined : handler(args);
  }

  private readonly handlers: Record<string, (args: Args) => ApiAnswer> = {
    'api.test': (args) => ({ ok: true, args }),
    'auth.test': () => ({
      ok: true,
      url: `https://${this.id.teamDomain}.slack.com/`,
      team: this.id.teamDomain,
      user: 'deploybot',
      team_id: this.id.teamId,
      user_id: this.id.botUserId,
      bot_id: this.id.botId,
      is_enterprise_install: false,
    }),
    'chat.postMessage': (args) => {
      const channel = str(args.channel);
      const access = this.channels.canPost(channel);
      if (!access.ok) return fail(access.error);
      if (channel === undefined) return fail('channel_not_found');
      if (str(args.text) === undefined && args.blocks === undefined && args.attachments === undefined) return fail('no_text');
      const refused = messageErrors(args);
      if (refused) return refused;
      const m: StoredMessage = { channel, ts: this.nextTs(), updates: 0 };
      if (str(args.thread_ts) !== undefined) m.threadTs = str(args.thread_ts)!;
      if (str(args.text) !== undefined) m.text = str(args.text)!;
      if (args.blocks !== undefined) m.blocks = args.blocks;
      if (args.attachments !== undefined) m.attachments = args.attachments;
      this.messages.push(m);
      return { ok: true, channel, ts: m.ts, message: this.messageView(m) };
    },
    'chat.postEphemeral': (args) => {
      const channel = str(args.channel);
      const user = str(args.user);
      const access = this.channels.canPost(channel);
      if (!access.ok) return fail(access.error);
      if (channel === undefined) return fail('channel_not_found');
      if (user === undefined) return fail('user_not_in_channel');
      const refused = messageErrors(args);
      if (refused) return refused;
      const m: StoredMessage = { channel, ts: this.nextTs(), updates: 0, ephemeralFor: user };
      if (str(args.text) !== undefined) m.text = str(args.text)!;
      if (args.blocks !== undefined) m.blocks = args.blocks;
      this.messages.push(m);
      return { ok: true, message_ts: m.ts };
    },
    'chat.update': (args) => {
      const channel = str(args.channel);
      const ts = str(args.ts);
      if (channel === undefined) return fail('channel_not_found');
      const m = ts === undefined ? undefined : this.findMessage(channel, ts);
      if (m === undefined || m.ephemeralFor !== undefined) return fail('message_not_found');
      const refused = messageErrors(args);
      if (refused) return refused;
      if (args.text !== undefined) m.text = String(args.text);
      if (args.blocks !== undefined) m.blocks = args.blocks;
      if (args.attachments !== undefined) m.attachments = args.attachments;
      m.updates += 1;
      return { ok: true, channel, ts: m.ts, text: m.text ?? '', message: this.messageView(m) };
    },
    'chat.delete': (args) => {
      const channel = str(args.channel);
      const ts = str(args.ts);
      const i = this.messages.findIndex((m) => m.channel === channel && m.ts === ts);
      if (i === -1) return fail('message_not_found');
      this.messages.splice(i, 1);
      return { ok: true, channel, ts };
    },
    'chat.getPermalink': (args) => {
      const channel = str(args.channel);
      const ts = str(args.message_ts);
      if (channel === undefined || ts === undefined || this.findMessage(channel, ts) === undefined) return fail('message_not_found');
      return { ok: true, channel, permalink: `https://${this.id.teamDomain}.slack.com/archives/${channel}/p${ts.replace('.', '')}` };
    },
    'reactions.add': (args) => (str(args.name) === undefined ? fail('invalid_name') : { ok: true }),
    'reactions.remove': () => ({ ok: true }),
    'views.open': (args) => this.openView(args, 'views.open'),
    'views.push': (args) => this.openView(args, 'views.push'),
    'views.publish': (args) => {
      if (str(args.user_id) === undefined) return fail('invalid_arguments');
      const errors = viewErrors(args.view);
      if (errors.length) return invalid('invalid_arguments', errors);
      const id = this.nextId('V');
      const view = this.viewObject(args.view as Args, id);
      this.views.set(id, view);
      return { ok: true, view };
    },
    'views.update': (args) => {
      if (typeof args.view !== 'object' || args.view === null) return fail('invalid_arguments');
      const errors = viewErrors(args.view);
      if (errors.length) return invalid('invalid_arguments', errors);
      const byExternal = str(args.external_id);
      const id = str(args.view_id) ?? [...this.views.values()].find((v) => byExternal !== undefined && v.external_id === byExternal)?.id;
      const previous = typeof id === 'string' ? this.views.get(id) : undefined;
      if (previous === undefined || typeof id !== 'string') return fail('not_found');
      const hash = str(args.hash);
      if (hash !== undefined && hash !== previous.hash) return fail('hash_conflict');
      const view = this.viewObject(args.view as Args, id, previous);
      this.views.set(id, view);
      return { ok: true, view };
    },
    'users.info': (args) => {
      const user = str(args.user);
      if (user === undefined) return fail('user_not_found');
      const name = `user-${user.toLowerCase()}`;
      return {
        ok: true,
        user: {
          id: user,
          team_id: this.id.teamId,
          name,
          real_name: `User ${user}`,
          tz: 'Europe/Paris',
          tz_label: 'Central European Time',
          tz_offset: 3600,
          is_bot: false,
          deleted: false,
          profile: { real_name: `User ${user}`, display_name: name },
        },
      };
    },
    'conversations.info': (args) => {
      const id = str(args.channel);
      const c = id === undefined ? undefined : this.channels.get(id);
      if (c === undefined || (!c.botIsMember && (c.isPrivate || c.isIm))) return fail('channel_not_found');
      return {
        ok: true,
        channel: { id: c.id, name: c.name, is_channel: !c.isIm && !c.isPrivate, is_group: c.isPrivate, is_im: c.isIm, is_private: c.isPrivate || c.isIm, is_member: c.botIsMember, is_archived: c.archived },
      };
    },
    'conversations.join': (args) => {
      const joined = this.channels.join(str(args.channel));
      if (!joined.ok) return fail(joined.error);
      const c = joined.channel!;
      return { ok: true, channel: { id: c.id, name: c.name, is_channel: true, is_private: false, is_member: true } };
    },
    'conversations.open': (args) => {
      const users = str(args.users);
      if (users === undefined || users.includes(',') || !SlackChannels.isUser(users)) return fail('user_not_found');
      const id = `D${users}`;
      if (this.channels.get(id) === undefined) this.channels.declare(id, { isIm: true, botIsMember: true, name: users });
      return { ok: true, channel: { id } };
    },
    'files.getUploadURLExternal': (args) => {
      const filename = str(args.filename);
      const length = Number(args.length);
      if (filename === undefined || !Number.isInteger(length) || length < 0) return fail('invalid_arguments');
      const id = this.nextId('F');
      this.files.set(id, { id, filename, declaredLength: length, completed: false });
      return { ok: true, upload_url: this.uploadUrl(id), file_id: id };
    },
    'files.completeUploadExternal': (args) => {
      const list = args.files;
      if (!Array.isArray(list) || list.length === 0) return fail('invalid_arguments');
      if (str(args.channel_id) !== undefined) {
        const access = this.channels.canShareFile(str(args.channel_id));
        if (!access.ok) return fail(access.error);
      }
      const done: Args[] = [];
      for (const entry of list as Args[]) {
        const file = this.files.get(String(entry.id));
        if (file === undefined || file.bytes === undefined) return fail('file_not_found');
        file.completed = true;
        if (str(entry.title) !== undefined) file.title = str(entry.title)!;
        if (str(args.channel_id) !== undefined) file.channelId = str(args.channel_id)!;
        if (str(args.thread_ts) !== undefined) file.threadTs = str(args.thread_ts)!;
        if (str(args.initial_comment) !== undefined) file.initialComment = str(args.initial_comment)!;
        done.push({
          id: file.id,
          name: file.filename,
          title: file.title ?? file.filename,
          size: file.bytes.length,
          mimetype: file.contentType ?? 'application/octet-stream',
          user: this.id.botUserId,
          created: Math.floor(Date.now() / 1000),
        });
      }
      return { ok: true, files: done };
    },
  };

  private openView(args: Args, method: string): ApiAnswer {
    if (str(args.trigger_id) === undefined && str(args.interactivity_pointer) === undefined) return fail('invalid_arguments');
    if (typeof args.view !== 'object' || args.view === null) return fail('invalid_arguments');
    const errors = viewErrors(args.view);
    if (errors.length) return invalid('invalid_arguments', errors);
    const id = this.nextId('V');
    const view = this.viewObject(args.view as Args, id);
    if (method === 'views.push') view.previous_view_id = [...this.views.keys()].at(-1) ?? null;
    this.views.set(id, view);
    return { ok: true, view };
  }

  /** Store the bytes POSTed to an upload URL; false when the file id is unknown. */
  storeUpload(fileId: string, bytes: Buffer, contentType: string | undefined): boolean {
    const file = this.files.get(fileId);
    if (file === undefined) return false;
    file.bytes = bytes;
    if (contentType !== undefined) file.contentType = contentType;
    return true;
  }
}
