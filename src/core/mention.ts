import { randomBytes } from 'node:crypto';

/**
 * Mentions, channel references and links the bot itself means, as marks inside ordinary text.
 *
 * Text shown in Slack mixes the bot's own words with text from people and repositories (commit
 * subjects, reasons, titles, hook output). Renderers escape all of it, so `<!channel>` or
 * `<https://evil|Approve>` in a commit subject shows as typed; only these marks become real
 * mentions and links. A mark carries a random per-process nonce, so text from outside cannot
 * forge one: a mark with another nonce (or none) renders as plain, inert text.
 */
const OPEN = '\uFDD0';
const CLOSE = '\uFDD1';
const SEP = '\uFDD2';
const NONCE = randomBytes(6).toString('hex');
const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;
const SLACK_CHANNEL = /^[CGD][A-Z0-9]{2,}$/;

export type Mark =
  | { kind: 'user'; id: string }
  | { kind: 'channel'; id: string }
  | { kind: 'link'; url: string; label: string }
  /** A time each reader sees in their own zone (Slack's `<!date^…>`); `label` is the fallback text. */
  | { kind: 'date'; seconds: number; label: string };

/** Slack renders a user mention as the person's name; local shell users are shown as @name. */
export function mention(userId: string): string {
  return SLACK_USER.test(userId) ? `${OPEN}${NONCE}@${userId}${CLOSE}` : `@${userId}`;
}

export function channelRef(channelId: string): string {
  return SLACK_CHANNEL.test(channelId) ? `${OPEN}${NONCE}#${channelId}${CLOSE}` : `#${channelId}`;
}

/** A time Slack shows in each reader's zone; elsewhere (shell, logs) the fallback label. */
export function dateRef(date: Date, label: string): string {
  return `${OPEN}${NONCE}T${Math.floor(date.getTime() / 1000)}${SEP}${label.replace(/[\uFDD0-\uFDD2]/g, '')}${CLOSE}`;
}

/** A link with a label: `https:` and `http:` only. */
export function linkRef(url: string, label: string): string {
  if (!/^https?:\/\/[^\s]+$/.test(url)) return label;
  return `${OPEN}${NONCE}L${url}${SEP}${label.replace(/[\uFDD0-\uFDD2]/g, '')}${CLOSE}`;
}

const ANY_MARK = /\uFDD0([^\uFDD0\uFDD1]*)\uFDD1/g;

/**
 * Text → pieces: plain strings (to be escaped by the renderer) and the bot's genuine marks.
 * Anything that looks like a mark but lacks this process's nonce comes back as plain text.
 */
export function splitMarks(text: string): Array<string | Mark> {
  const out: Array<string | Mark> = [];
  let last = 0;
  for (const m of text.matchAll(ANY_MARK)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    last = m.index + m[0].length;
    const body = m[1]!;
    const mark = body.startsWith(NONCE) ? parseMark(body.slice(NONCE.length)) : null;
    if (mark) {
      out.push(mark);
      continue;
    }
    // A forged mark, or one from another process (a stored message): plain, inert words.
    const foreign = /^[0-9a-f]{12}/.test(body) ? parseMark(body.slice(12)) : null;
    out.push(foreign ? (foreign.kind === 'user' ? `@${foreign.id}` : foreign.kind === 'channel' ? `#${foreign.id}` : foreign.label) : stripMarkers(body));
  }
  if (last < text.length) out.push(text.slice(last));
  return out.map((p) => (typeof p === 'string' ? stripMarkers(p) : p));
}

function parseMark(body: string): Mark | null {
  const kind = body[0];
  const rest = body.slice(1);
  if (kind === '@' && SLACK_USER.test(rest)) return { kind: 'user', id: rest };
  if (kind === '#' && SLACK_CHANNEL.test(rest)) return { kind: 'channel', id: rest };
  if (kind === 'T') {
    const [seconds = '', label = ''] = rest.split(SEP);
    if (/^\d{1,12}$/.test(seconds)) return { kind: 'date', seconds: Number(seconds), label };
  }
  if (kind === 'L') {
    const [url = '', label = ''] = rest.split(SEP);
    if (/^https?:\/\/[^\s]+$/.test(url)) return { kind: 'link', url, label };
  }
  return null;
}

function stripMarkers(text: string): string {
  return text.replace(/[\uFDD0-\uFDD2]/g, '');
}

/**
 * Marks in Slack's wire syntax (`<@U1>`, `<#C1>`, `<url|label>`) for places that are not Slack
 * messages (the shell, --json output, logs), where that syntax is only read, never acted on.
 */
export function marksAsText(text: string): string {
  return splitMarks(text)
    .map((p) => (typeof p === 'string' ? p : p.kind === 'user' ? `<@${p.id}>` : p.kind === 'channel' ? `<#${p.id}>` : p.kind === 'date' ? p.label : `<${p.url}|${p.label}>`))
    .join('');
}
