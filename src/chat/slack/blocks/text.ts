/** Text helpers that keep Block Kit within Slack's limits. Pure. */

/** Block Kit's limits (docs.slack.dev/reference/block-kit). */
export const LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  sectionText: 3000,
  field: 2000,
  fieldsPerSection: 10,
  header: 150,
  contextText: 3000,
  plainOption: 75,
  optionValue: 150,
  optionsPerMenu: 100,
  modalTitle: 24,
  buttonText: 75,
  inputMax: 3000,
  /** Fallback `text` of a message; Slack truncates long ones anyway. */
  fallbackText: 3000,
} as const;

/** Cuts `text` to `max` characters (code points), ending with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * Splits text into chunks of at most `max` characters, preferring line boundaries; a single
 * line longer than `max` is cut hard.
 */
export function splitText(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const chunks: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const candidate = current === '' ? line : `${current}\n${line}`;
    if (candidate.length <= max) {
      current = candidate;
      continue;
    }
    if (current !== '') chunks.push(current);
    let rest = line;
    while (rest.length > max) {
      chunks.push(rest.slice(0, max));
      rest = rest.slice(max);
    }
    current = rest;
  }
  if (current !== '') chunks.push(current);
  return chunks;
}

export { escapeMrkdwn } from './mrkdwn.js';
