/**
 * What a command answers, independent of where it is shown. The Slack adapter turns it into Block
 * Kit, the shell into plain text; `text` is always a complete plain statement (Slack's notification
 * and screen-reader fallback, and the shell's one-line answer).
 *
 * Inline markup is the small common subset of Slack mrkdwn: *bold*, `code`, and <@U…> mentions.
 */
export type ReplyBlock =
  | { type: 'heading'; text: string }
  | { type: 'text'; text: string }
  | { type: 'fields'; fields: [label: string, value: string][] }
  | { type: 'list'; items: string[] }
  | { type: 'code'; text: string }
  | { type: 'context'; text: string };

export interface Reply {
  text: string;
  blocks: ReplyBlock[];
  /** True for answers that signal a refusal or a failure (shown with a warning sign; exit code ≠ 0 in one-shot mode). */
  isError?: boolean;
  /** The answer as plain data (`--json`'s `result`): views, never markup, never secrets. */
  data?: unknown;
}

export function reply(text: string, ...blocks: ReplyBlock[]): Reply {
  return { text, blocks: blocks.length ? blocks : [{ type: 'text', text }] };
}

export function errorReply(message: string, usage?: string): Reply {
  const blocks: ReplyBlock[] = [{ type: 'text', text: `:warning: ${message}` }];
  if (usage) blocks.push({ type: 'code', text: usage });
  return { text: message, blocks, isError: true, data: { error: { message, ...(usage ? { usage } : {}) } } };
}

/** The same reply, carrying its answer as data for `--json`. */
export function withData(r: Reply, data: unknown): Reply {
  return { ...r, data };
}
