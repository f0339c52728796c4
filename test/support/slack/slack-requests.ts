import { createHmac } from 'node:crypto';

/**
 * Signed Slack requests to a Bolt HTTP receiver (HTTPReceiver or ExpressReceiver), byte-for-byte the
 * way Slack sends them: slash commands as `application/x-www-form-urlencoded` fields, interactivity
 * (block_actions, view_submission, block_suggestion) as one form field `payload=<JSON>`, signed with
 * `v0=HMAC-SHA256(secret, "v0:<ts>:<raw body>")` in `x-slack-signature` and the seconds timestamp in
 * `x-slack-request-timestamp`. Bolt answers 401 to a bad signature or a timestamp more than five
 * minutes old.
 */

export interface SlackRequestHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
}

export function signSlackRequest(secret: string, rawBody: string, ts: number = Math.floor(Date.now() / 1000)): SlackRequestHeaders {
  const hex = createHmac('sha256', secret).update(`v0:${ts}:${rawBody}`).digest('hex');
  return { 'x-slack-signature': `v0=${hex}`, 'x-slack-request-timestamp': String(ts) };
}

export interface SendOptions {
  /** Path of the Bolt endpoint on baseUrl (default `/slack/events`). */
  path?: string;
  /** Sign with a wrong secret (Bolt must answer 401). */
  forgeSignature?: boolean;
  /** Use this timestamp (seconds) instead of now, e.g. to replay an old request. */
  timestampSec?: number;
  /** Sign correctly but 10 minutes in the past (Bolt must answer 401). */
  stale?: boolean;
  /** `x-slack-retry-num` / reason headers, as Slack adds on redelivery. */
  retryNum?: number;
  retryReason?: string;
  headers?: Record<string, string>;
}

export interface SlackHttpResponse {
  status: number;
  /** Raw response body. */
  body: string;
  /** The body parsed as JSON when it is JSON, else undefined. */
  json: unknown;
  headers: Headers;
  elapsedMs: number;
}

/** POST an already-encoded body with Slack's signature headers. */
export async function sendSignedRequest(
  baseUrl: string,
  secret: string,
  rawBody: string,
  contentType: string,
  options: SendOptions = {},
): Promise<SlackHttpResponse> {
  const now = Math.floor(Date.now() / 1000);
  const ts = options.timestampSec ?? (options.stale ? now - 600 : now);
  const signed = signSlackRequest(options.forgeSignature ? `${secret}-forged` : secret, rawBody, ts);
  const headers: Record<string, string> = { 'content-type': contentType, ...signed, ...options.headers };
  if (options.retryNum !== undefined) headers['x-slack-retry-num'] = String(options.retryNum);
  if (options.retryReason !== undefined) headers['x-slack-retry-reason'] = options.retryReason;
  const started = performance.now();
  const res = await fetch(new URL(options.path ?? '/slack/events', baseUrl), { method: 'POST', headers, body: rawBody });
  const body = await res.text();
  const elapsedMs = performance.now() - started;
  let json: unknown;
  try {
    json = body === '' ? undefined : JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: res.status, body, json, headers: res.headers, elapsedMs };
}

const FORM = 'application/x-www-form-urlencoded';

function form(fields: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) params.append(k, v);
  return params.toString();
}

/** Who and where a request comes from; defaults are a plain user in a public channel. */
export interface SlackActor {
  user_id?: string;
  user_name?: string;
  team_id?: string;
  team_domain?: string;
  channel_id?: string;
  channel_name?: string;
  api_app_id?: string;
}

const ACTOR_DEFAULTS: Required<SlackActor> = {
  user_id: 'U0ALICE',
  user_name: 'alice',
  team_id: 'T0DEPLOYBOT',
  team_domain: 'deploybot-test',
  channel_id: 'C0DEPLOYS',
  channel_name: 'deploys',
  api_app_id: 'A0DEPLOYBOT',
};

let triggerCounter = 0;
/** A fresh trigger_id shaped like Slack's. */
export function newTriggerId(): string {
  triggerCounter += 1;
  return `${Date.now()}.${triggerCounter}.${Math.random().toString(16).slice(2, 18)}`;
}

export interface SlashCommandFields extends SlackActor {
  text: string;
  command?: string;
  response_url?: string;
  trigger_id?: string;
  enterprise_id?: string;
  /** Any other field to send as is. */
  extra?: Record<string, string>;
}

export function slashCommandBody(fields: SlashCommandFields): string {
  const a = { ...ACTOR_DEFAULTS, ...fields };
  return form({
    token: 'deprecated-verification-token',
    team_id: a.team_id,
    team_domain: a.team_domain,
    enterprise_id: fields.enterprise_id,
    channel_id: a.channel_id,
    channel_name: a.channel_name,
    user_id: a.user_id,
    user_name: a.user_name,
    command: fields.command ?? '/deploy',
    text: fields.text,
    api_app_id: a.api_app_id,
    is_enterprise_install: 'false',
    response_url: fields.response_url ?? 'https://hooks.slack.com/commands/T0DEPLOYBOT/1/none',
    trigger_id: fields.trigger_id ?? newTriggerId(),
    ...fields.extra,
  });
}

export function sendSlashCommand(baseUrl: string, secret: string, fields: SlashCommandFields, options?: SendOptions): Promise<SlackHttpResponse> {
  return sendSignedRequest(baseUrl, secret, slashCommandBody(fields), FORM, options);
}

/** Send any interactivity payload (`payload=<JSON>`). */
export function sendInteraction(baseUrl: string, secret: string, payload: object, options?: SendOptions): Promise<SlackHttpResponse> {
  return sendSignedRequest(baseUrl, secret, form({ payload: JSON.stringify(payload) }), FORM, options);
}

function actorParts(a: Required<SlackActor>) {
  return {
    team: { id: a.team_id, domain: a.team_domain },
    user: { id: a.user_id, username: a.user_name, name: a.user_name, team_id: a.team_id },
    api_app_id: a.api_app_id,
    token: 'deprecated-verification-token',
    is_enterprise_install: false,
    enterprise: null,
  };
}

export interface BlockActionFields extends SlackActor {
  action_id: string;
  block_id?: string;
  value?: string;
  /** Element type (default `button`). */
  type?: string;
  /** For select menus: the chosen option. */
  selected_option?: { text: { type: 'plain_text'; text: string }; value: string };
  /** The message the button is on (omit when `view` is given). */
  message_ts?: string;
  message?: Record<string, unknown>;
  /** The action happened in this modal instead of a message. */
  view?: Record<string, unknown>;
  response_url?: string;
  trigger_id?: string;
  /** Merged into the action object. */
  action?: Record<string, unknown>;
  /** Merged into the payload. */
  extra?: Record<string, unknown>;
}

export function blockActionPayload(fields: BlockActionFields): Record<string, unknown> {
  const a = { ...ACTOR_DEFAULTS, ...fields };
  const actionTs = `${(Date.now() / 1000).toFixed(6)}`;
  const action: Record<string, unknown> = {
    type: fields.type ?? 'button',
    action_id: fields.action_id,
    block_id: fields.block_id ?? 'actions',
    action_ts: actionTs,
    ...(fields.value === undefined ? {} : { value: fields.value }),
    ...(fields.selected_option === undefined ? {} : { selected_option: fields.selected_option }),
    ...(fields.type === undefined || fields.type === 'button' ? { text: { type: 'plain_text', text: fields.action_id } } : {}),
    ...fields.action,
  };
  const inView = fields.view !== undefined;
  const messageTs = fields.message_ts ?? '1764000000.000100';
  return {
    type: 'block_actions',
    ...actorParts(a),
    trigger_id: fields.trigger_id ?? newTriggerId(),
    container: inView
      ? { type: 'view', view_id: fields.view?.id ?? 'V0VIEW' }
      : { type: 'message', message_ts: messageTs, channel_id: a.channel_id, is_ephemeral: false },
    ...(inView
      ? { view: fields.view }
      : {
          channel: { id: a.channel_id, name: a.channel_name },
          message: fields.message ?? { type: 'message', ts: messageTs, text: '', user: 'U0DEPLOYBOT' },
          response_url: fields.response_url ?? 'https://hooks.slack.com/actions/T0DEPLOYBOT/1/none',
        }),
    state: { values: {} },
    actions: [action],
    ...fields.extra,
  };
}

export function sendBlockAction(baseUrl: string, secret: string, fields: BlockActionFields, options?: SendOptions): Promise<SlackHttpResponse> {
  return sendInteraction(baseUrl, secret, blockActionPayload(fields), options);
}

export interface ViewSubmissionFields extends SlackActor {
  callback_id: string;
  /** `state.values`: `{ [block_id]: { [action_id]: { type, value | selected_option | … } } }`. */
  values?: Record<string, Record<string, Record<string, unknown>>>;
  private_metadata?: string;
  view_id?: string;
  external_id?: string;
  /** When the modal has `response_url_enabled` inputs. */
  response_urls?: { block_id: string; action_id: string; channel_id: string; response_url: string }[];
  trigger_id?: string;
  /** Merged into the view object. */
  view?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

export function viewSubmissionPayload(fields: ViewSubmissionFields): Record<string, unknown> {
  const a = { ...ACTOR_DEFAULTS, ...fields };
  const id = fields.view_id ?? 'V0VIEW';
  return {
    type: 'view_submission',
    ...actorParts(a),
    trigger_id: fields.trigger_id ?? newTriggerId(),
    view: {
      id,
      team_id: a.team_id,
      type: 'modal',
      callback_id: fields.callback_id,
      private_metadata: fields.private_metadata ?? '',
      external_id: fields.external_id ?? '',
      state: { values: fields.values ?? {} },
      hash: `${Math.floor(Date.now() / 1000)}.hash`,
      title: { type: 'plain_text', text: 'deploybot' },
      blocks: [],
      root_view_id: id,
      previous_view_id: null,
      app_id: a.api_app_id,
      bot_id: 'B0DEPLOYBOT',
      ...fields.view,
    },
    response_urls: fields.response_urls ?? [],
    ...fields.extra,
  };
}

export function sendViewSubmission(baseUrl: string, secret: string, fields: ViewSubmissionFields, options?: SendOptions): Promise<SlackHttpResponse> {
  return sendInteraction(baseUrl, secret, viewSubmissionPayload(fields), options);
}

export interface BlockSuggestionFields extends SlackActor {
  action_id: string;
  block_id?: string;
  /** What the user has typed so far. */
  value: string;
  /** The modal the external select is in (default: a bare modal). */
  view?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

export function blockSuggestionPayload(fields: BlockSuggestionFields): Record<string, unknown> {
  const a = { ...ACTOR_DEFAULTS, ...fields };
  const view = { id: 'V0VIEW', type: 'modal', callback_id: '', private_metadata: '', state: { values: {} }, ...fields.view };
  return {
    type: 'block_suggestion',
    ...actorParts(a),
    action_id: fields.action_id,
    block_id: fields.block_id ?? 'input',
    value: fields.value,
    container: { type: 'view', view_id: view.id },
    view,
    ...fields.extra,
  };
}

/** An external select asking for options; Bolt's `app.options()` answer is in the response body. */
export function sendBlockSuggestion(baseUrl: string, secret: string, fields: BlockSuggestionFields, options?: SendOptions): Promise<SlackHttpResponse> {
  return sendInteraction(baseUrl, secret, blockSuggestionPayload(fields), options);
}
