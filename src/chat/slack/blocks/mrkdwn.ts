import { splitMarks } from '../../../core/mention.js';

/**
 * THE escaping rule for text on its way into Slack mrkdwn; every Block Kit builder applies it to
 * every mrkdwn string it emits, so callers never have to remember.
 *
 * - `&`, `<` and `>` are escaped (Slack's own rule), so text from people and repositories cannot
 *   ping (`<!channel>`, `<@U…>`) or show a disguised link (`<https://evil|Approve>`);
 * - runs of three backticks are broken with zero-width spaces, so such text cannot open or close
 *   a code block: builders add their own fences with `codeBlock`, after escaping;
 * - mentions, channel references and links exist only where the bot made them (core/mention.ts).
 */
export function escapeMrkdwn(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/`{3,}/g, (run) => run.split('').join('\u200B'));
}

/** Text with the bot's marks → safe mrkdwn: everything escaped, the bot's marks rendered. */
export function safeMrkdwn(text: string): string {
  return splitMarks(text)
    .map((p) => {
      if (typeof p === 'string') return escapeMrkdwn(p);
      if (p.kind === 'user') return `<@${p.id}>`;
      if (p.kind === 'date') return `<!date^${p.seconds}^{date_short_pretty} at {time}|${escapeMrkdwn(p.label).replace(/\|/g, '¦')}>`;
      if (p.kind === 'channel') return `<#${p.id}>`;
      return `<${p.url.replace(/[<>|]/g, encodeURIComponent)}|${escapeMrkdwn(p.label).replace(/\|/g, '¦')}>`;
    })
    .join('');
}

/** A code block around text (escaped; backticks inside cannot end it). */
export function codeBlock(text: string): string {
  return `\`\`\`\n${safeMrkdwn(text)}\n\`\`\``;
}

/** Text for plain_text fields (headers, buttons, options): marks shown as plain words, nothing parsed. */
export function plainText(text: string): string {
  return splitMarks(text)
    .map((p) => (typeof p === 'string' ? p : p.kind === 'user' ? `@${p.id}` : p.kind === 'channel' ? `#${p.id}` : p.label))
    .join('');
}
