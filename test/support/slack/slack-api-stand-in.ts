import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ApiAnswer,
  type Args,
  SlackApiState,
  type StandInIdentity,
  type StoredFile,
  type StoredMessage,
  messageErrors,
} from './slack-api-methods.js';
import { type ChannelSpec, SlackChannels } from './slack-channels.js';
import { type RateLimit, RateLimiter } from './slack-rate-limits.js';

/**
 * A real HTTP server on 127.0.0.1 that plays Slack's Web API, for
 * `new App({ token, signingSecret, clientOptions: { slackApiUrl: standIn.url } })` and
 * `new WebClient(token, { slackApiUrl: standIn.url })`.
 *
 * How @slack/web-api 8 talks to it (node_modules/@slack/web-api/dist/WebClient.js): every call is a
 * POST to `<slackApiUrl><method>` through global fetch, token in `Authorization: Bearer`, body
 * `application/x-www-form-urlencoded` with objects/arrays (blocks, view, files) JSON-encoded into
 * single fields — or multipart/form-data when an argument is a Buffer. filesUploadV2 POSTs the bytes
 * to `upload_url` as multipart (one part named `body`). The stand-in also takes JSON bodies, as
 * Slack does.
 *
 * Besides API methods it serves upload URLs and `response_url`s; both are recorded as calls with the
 * pseudo-methods UPLOAD_METHOD and RESPONSE_URL_METHOD, so one `waitFor` covers everything.
 */

export const UPLOAD_METHOD = 'upload_url';
export const RESPONSE_URL_METHOD = 'response_url';

/** Fields Slack accepts as JSON-encoded strings in form bodies; recorded decoded. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata', 'user_auth_blocks', 'unfurls']);

export interface RecordedCall {
  /** API method (`chat.postMessage`), or UPLOAD_METHOD / RESPONSE_URL_METHOD. */
  method: string;
  /** Decoded arguments: form fields (JSON fields parsed), or the JSON body. */
  args: Args;
  /** Date.now() when the request arrived. */
  at: number;
  /** Token from `Authorization: Bearer …` or the `token` argument. */
  token: string | undefined;
  contentType: string;
  /** Full URL path, e.g. `/api/chat.postMessage`, `/response/3`. */
  path: string;
  /** HTTP status the stand-in answered. */
  status: number;
  /** Body the stand-in answered (parsed JSON, or text). */
  response: unknown;
  /** True when the answer was a failure planned by `failNext` (the test asked for it). */
  injected?: boolean;
}

export interface FailOptions {
  /** HTTP status; default 200 with `{ ok: false, error }`, or 429 when retryAfterSec is given. */
  status?: number;
  /** Seconds for the `Retry-After` header of a 429 (Slack: integer seconds). */
  retryAfterSec?: number;
  /** Slack error code in the body; default `ratelimited` for 429, `internal_error` otherwise. */
  error?: string;
  /** How many of the next calls fail (default 1). */
  times?: number;
}

export type Responder = (args: Args, call: { method: string; token: string | undefined }) => ApiAnswer;

export interface StandInOptions extends Partial<StandInIdentity> {
  /** When set, API calls with another token answer `invalid_auth` (no token: `not_authed`). */
  token?: string;
  /** The app-level token (`xapp-…`): the only one apps.connections.open takes, refused elsewhere. */
  appToken?: string;
  /**
   * The workspace's conversations. When given, only these exist (others: channel_not_found) and
   * membership rules apply; when omitted, any `C…` id is a public channel the bot is in.
   */
  channels?: Record<string, ChannelSpec>;
  /** Per-method rate limits (see slack-rate-limits.ts); none by default. */
  rateLimits?: Record<string, RateLimit>;
}

interface FailPlan {
  status: number;
  retryAfterSec: number | undefined;
  error: string;
  remaining: number;
}

export class SlackApiStandIn {
  /** Base for `slackApiUrl`: `http://127.0.0.1:<port>/api/`. */
  readonly url: string;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly identity: StandInIdentity;
  private readonly state: SlackApiState;
  /** The workspace's conversations: declare more, or add/remove the bot (tests). */
  readonly channels: SlackChannels;
  private readonly limiter: RateLimiter;
  private readonly recorded: RecordedCall[] = [];
  private readonly events = new EventEmitter();
  private readonly failures = new Map<string, FailPlan[]>();
  private readonly responders = new Map<string, Responder>();
  private responseUrls = 0;

  private constructor(
    private readonly server: Server,
    private readonly options: StandInOptions,
  ) {
    const { port } = server.address() as AddressInfo;
    this.origin = `http://127.0.0.1:${port}`;
    this.url = `${this.origin}/api/`;
    this.identity = {
      teamId: options.teamId ?? 'T0DEPLOYBOT',
      teamDomain: options.teamDomain ?? 'deploybot-test',
      botUserId: options.botUserId ?? 'U0DEPLOYBOT',
      botId: options.botId ?? 'B0DEPLOYBOT',
      appId: options.appId ?? 'A0DEPLOYBOT',
    };
    this.channels = new SlackChannels(options.channels !== undefined);
    for (const [id, spec] of Object.entries(options.channels ?? {})) this.channels.declare(id, spec);
    this.limiter = new RateLimiter(options.rateLimits ?? {});
    this.state = new SlackApiState(this.identity, (id) => `${this.origin}/upload/${id}`, this.channels);
    this.events.setMaxListeners(100);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
  }

  static async start(options: StandInOptions = {}): Promise<SlackApiStandIn> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new SlackApiStandIn(server, options);
  }

  /** Recorded calls, oldest first; only those of `method` when given. */
  calls(method?: string): RecordedCall[] {
    return method === undefined ? [...this.recorded] : this.recorded.filter((c) => c.method === method);
  }

  /** Resolves with the first recorded call (past or future) matching, or rejects after timeoutMs. */
  waitFor(predicate: (call: RecordedCall) => boolean, timeoutMs = 5000): Promise<RecordedCall> {
    const already = this.recorded.find(predicate);
    if (already !== undefined) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const onCall = (call: RecordedCall): void => {
        if (!predicate(call)) return;
        clearTimeout(timer);
        this.events.off('call', onCall);
        resolve(call);
      };
      const timer = setTimeout(() => {
        this.events.off('call', onCall);
        const seen = this.recorded.map((c) => c.method).join(', ') || 'none';
        reject(new Error(`SlackApiStandIn.waitFor: no matching call within ${timeoutMs} ms (calls so far: ${seen})`));
      }, timeoutMs);
      this.events.on('call', onCall);
    });
  }

  /**
   * Calls Slack refused (HTTP error, 429, or `ok: false`) that the test did not plan with
   * `failNext`, oldest first: a bug in the bot unless the test expects it.
   */
  refusals(): RecordedCall[] {
    return this.recorded.filter((c) => !c.injected && (c.status >= 400 || (typeof c.response === 'object' && c.response !== null && (c.response as { ok?: unknown }).ok === false)));
  }

  /** Make the next `times` calls of `method` fail: 429 + Retry-After, an HTTP error, or `{ok:false,error}`. */
  failNext(method: string, options: FailOptions = {}): void {
    const status = options.status ?? (options.retryAfterSec !== undefined ? 429 : 200);
    const plan: FailPlan = {
      status,
      retryAfterSec: options.retryAfterSec ?? (status === 429 ? 1 : undefined),
      error: options.error ?? (status === 429 ? 'ratelimited' : 'internal_error'),
      remaining: options.times ?? 1,
    };
    const plans = this.failures.get(method) ?? [];
    plans.push(plan);
    this.failures.set(method, plans);
  }

  /** Answer `method` with a fixed payload or a function of the arguments, instead of the default. */
  respondWith(method: string, answer: ApiAnswer | Responder): void {
    this.responders.set(method, typeof answer === 'function' ? answer : () => answer);
  }

  /** A fresh `response_url` on the stand-in; what is POSTed to it is recorded. */
  responseUrl(): string {
    this.responseUrls += 1;
    return `${this.origin}/response/${this.responseUrls}`;
  }

  /** Bodies POSTed to one response_url (or to any), oldest first. */
  responsePosts(url?: string): Args[] {
    const path = url === undefined ? undefined : new URL(url).pathname;
    return this.calls(RESPONSE_URL_METHOD)
      .filter((c) => path === undefined || c.path === path)
      .map((c) => c.args);
  }

  /** Messages the bot posted (chat.postMessage / postEphemeral), as last updated. */
  messages(channel?: string): StoredMessage[] {
    return this.state.messages.filter((m) => channel === undefined || m.channel === channel);
  }

  /** The file behind a file id: declared name/length, uploaded bytes, and what completion shared it to. */
  file(fileId: string): StoredFile | undefined {
    return this.state.files.get(fileId);
  }

  /** Bytes uploaded for a file id. */
  uploadedBytes(fileId: string): Buffer | undefined {
    return this.state.files.get(fileId)?.bytes;
  }

  /** Forget calls, failure plans and responders (state such as posted messages is kept). */
  reset(): void {
    this.recorded.length = 0;
    this.failures.clear();
    this.responders.clear();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections(); // fetch keeps connections alive; don't wait for them
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const url = new URL(req.url ?? '/', this.origin);
    const body = await readBody(req);
    const contentType = req.headers['content-type'] ?? '';
    const base = { at, path: url.pathname, contentType };

    const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (api !== null) {
      const method = api[1]!;
      const args = await parseArgs(body, contentType, url.searchParams);
      const token = bearer(req.headers.authorization) ?? (typeof args.token === 'string' ? args.token : undefined);
      const call = { ...base, method, args, token };
      if (this.sendFailure(method, call, res)) return;
      const waitMs = this.limiter.check(method, typeof args.channel === 'string' ? args.channel : undefined);
      if (waitMs > 0) {
        const retryAfter = String(Math.max(1, Math.ceil(waitMs / 1000)));
        this.send(res, call, 429, { ok: false, error: 'ratelimited' }, 'application/json; charset=utf-8', { 'retry-after': retryAfter });
        return;
      }
      const authError = this.authError(token, method);
      const answer: ApiAnswer =
        authError !== undefined
          ? { ok: false, error: authError }
          : (this.responders.get(method)?.(args, { method, token }) ??
            this.state.answer(method, args) ?? { ok: false, error: 'unknown_method' });
      this.send(res, call, 200, answer);
      return;
    }

    const upload = /^\/upload\/([A-Za-z0-9]+)$/.exec(url.pathname);
    if (upload !== null && req.method === 'POST') {
      const fileId = upload[1]!;
      const part = await uploadedPart(body, contentType);
      const call = {
        ...base,
        method: UPLOAD_METHOD,
        args: { file_id: fileId, filename: part.filename, length: part.bytes.length, contentType: part.contentType },
        token: bearer(req.headers.authorization),
      };
      if (this.sendFailure(UPLOAD_METHOD, call, res)) return;
      if (!this.state.storeUpload(fileId, part.bytes, part.contentType)) {
        this.send(res, call, 404, 'file not found', 'text/plain');
        return;
      }
      this.send(res, call, 200, `OK - ${part.bytes.length}`, 'text/plain');
      return;
    }

    if (/^\/response\/\d+$/.test(url.pathname) && req.method === 'POST') {
      const args = await parseArgs(body, contentType, url.searchParams);
      const call = { ...base, method: RESPONSE_URL_METHOD, args, token: undefined };
      if (this.sendFailure(RESPONSE_URL_METHOD, call, res)) return;
      // Slack checks what goes through a response_url like a message, and answers 400 when refused.
      const refused = messageErrors(args);
      if (refused) {
        this.send(res, call, 400, refused);
        return;
      }
      this.send(res, call, 200, { ok: true });
      return;
    }

    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }

  private authError(token: string | undefined, method: string): string | undefined {
    if (token === undefined || token === '') return 'not_authed';
    const isApp = token.startsWith('xapp-');
    if (method === 'apps.connections.open') return !isApp ? 'not_allowed_token_type' : this.options.appToken !== undefined && token !== this.options.appToken ? 'invalid_auth' : undefined;
    if (isApp) return 'not_allowed_token_type';
    if (this.options.token !== undefined && token !== this.options.token) return 'invalid_auth';
    return undefined;
  }

  private sendFailure(method: string, call: Omit<RecordedCall, 'status' | 'response'>, res: ServerResponse): boolean {
    const plans = this.failures.get(method);
    const plan = plans?.[0];
    if (plan === undefined) return false;
    plan.remaining -= 1;
    if (plan.remaining <= 0) plans!.shift();
    const headers: Record<string, string> = {};
    if (plan.status === 429 && plan.retryAfterSec !== undefined) headers['retry-after'] = String(plan.retryAfterSec);
    this.send(res, { ...call, injected: true }, plan.status, { ok: false, error: plan.error }, 'application/json; charset=utf-8', headers);
    return true;
  }

  private send(
    res: ServerResponse,
    call: Omit<RecordedCall, 'status' | 'response'>,
    status: number,
    body: unknown,
    contentType = 'application/json; charset=utf-8',
    headers: Record<string, string> = {},
  ): void {
    const recorded: RecordedCall = { ...call, status, response: body };
    this.recorded.push(recorded);
    res.writeHead(status, { 'content-type': contentType, ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
    this.events.emit('call', recorded);
  }
}

/** Start a stand-in on a random loopback port. */
export function startSlackApiStandIn(options: StandInOptions = {}): Promise<SlackApiStandIn> {
  return SlackApiStandIn.start(options);
}

// ---- body parsing -------------------------------------------------------------------------------

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return m?.[1];
}

function decodeField(key: string, value: string): unknown {
  if (!JSON_FIELDS.has(key)) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** Multipart bodies are parsed with undici's Request.formData (no extra dependency). */
async function formData(body: Buffer, contentType: string): Promise<FormData> {
  return new Request('http://stand-in.local/', { method: 'POST', headers: { 'content-type': contentType }, body }).formData();
}

async function parseArgs(body: Buffer, contentType: string, query: URLSearchParams): Promise<Args> {
  const args: Args = {};
  for (const [k, v] of query) args[k] = decodeField(k, v);
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    const parsed = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as unknown);
    return typeof parsed === 'object' && parsed !== null ? { ...args, ...(parsed as Args) } : args;
  }
  if (type === 'multipart/form-data') {
    for (const [k, v] of await formData(body, contentType)) {
      args[k] = typeof v === 'string' ? decodeField(k, v) : Buffer.from(await v.arrayBuffer());
    }
    return args;
  }
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) args[k] = decodeField(k, v);
  return args;
}

async function uploadedPart(body: Buffer, contentType: string): Promise<{ bytes: Buffer; filename?: string; contentType?: string }> {
  if (contentType.toLowerCase().startsWith('multipart/form-data')) {
    for (const [, v] of await formData(body, contentType)) {
      if (typeof v !== 'string') return { bytes: Buffer.from(await v.arrayBuffer()), filename: v.name, contentType: v.type || undefined };
    }
  }
  return { bytes: body, contentType: contentType || undefined };
}
