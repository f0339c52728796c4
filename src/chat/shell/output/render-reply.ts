import { marksAsText } from '../../../core/mention.js';
import type { Reply, ReplyBlock } from '../../../commands/replies/reply.js';
import { makeStyle, SYMBOLS, visibleLength, type Style } from './style.js';

/**
 * Reply → readable terminal text. Pure: the same reply and options always give the same string.
 *
 * - headings are underlined, fields aligned in two columns, lists bulleted, code indented;
 * - Slack-only markup is translated: `:emoji:` → a short symbol or nothing, `<@U1>` → `@U1`,
 *   `<#C1|deploys>` → `#deploys`, `<https://x|label>` → `label`;
 * - `*bold*` becomes bold with colour; `` `code` `` keeps its backticks with or without colour (cyan
 *   with it), so a terminal and a pipe show the same text; the `/deploy` prefix is dropped from
 *   commands, which the shell accepts without it.
 */
export interface RenderOptions {
  color?: boolean;
  /** Drop `/deploy` from commands shown in code (the shell's default). */
  dropCommandPrefix?: boolean;
}

type Tone = 'ok' | 'bad' | 'warn' | 'plain';

/** Slack emoji used by deploybot's replies, as terminal symbols; any other emoji is dropped. */
const EMOJI: Record<string, [symbol: string, tone: Tone]> = {
  white_check_mark: [SYMBOLS.ok, 'ok'],
  heavy_check_mark: [SYMBOLS.ok, 'ok'],
  large_green_circle: [SYMBOLS.dot, 'ok'],
  x: [SYMBOLS.fail, 'bad'],
  red_circle: [SYMBOLS.dot, 'bad'],
  no_entry: [SYMBOLS.fail, 'bad'],
  no_entry_sign: ['⊘', 'warn'],
  warning: [SYMBOLS.warn, 'warn'],
  raised_hand: ['?', 'warn'],
  hourglass_flowing_sand: ['…', 'plain'],
  alarm_clock: ['◷', 'plain'],
  arrows_counterclockwise: [SYMBOLS.running, 'plain'],
};

export function renderReply(reply: Reply, options: RenderOptions = {}): string {
  const style = makeStyle(options.color ?? false);
  const inline = (text: string) => renderInline(marksAsText(text), style, options);
  const out: string[] = [];
  for (const [i, block] of reply.blocks.entries()) {
    if (block.type === 'heading' && i > 0) out.push('');
    out.push(...renderBlock(block, style, inline, options));
  }
  return out.join('\n');
}

function renderBlock(block: ReplyBlock, style: Style, inline: (t: string) => string, options: RenderOptions): string[] {
  switch (block.type) {
    case 'heading': {
      const text = inline(block.text);
      return [style.bold(text), style.dim('─'.repeat(Math.max(3, visibleLength(text))))];
    }
    case 'text':
      return inline(block.text).split('\n');
    case 'context':
      return inline(block.text)
        .split('\n')
        .map((l) => style.dim(l));
    case 'fields': {
      const width = Math.max(0, ...block.fields.map(([label]) => visibleLength(label)));
      return block.fields.flatMap(([label, value]) => {
        const [first = '', ...more] = inline(value).split('\n');
        const head = `  ${style.dim(`${label}:`.padEnd(width + 1))}  ${first}`;
        return [head, ...more.map((l) => `  ${' '.repeat(width + 3)}${l}`)];
      });
    }
    case 'list':
      return block.items.flatMap((item) => {
        const [first = '', ...more] = inline(item).split('\n');
        return [`  ${SYMBOLS.bullet} ${first}`, ...more.map((l) => `    ${l}`)];
      });
    case 'code': {
      const text = options.dropCommandPrefix === false ? block.text : dropPrefix(block.text);
      return text.split('\n').map((l) => (l === '' ? '' : `    ${style.code(l)}`));
    }
  }
}

/** `/deploy server list` → `server list`; the bare `/deploy` (open the deploy form) → `deploy`. */
export function dropPrefix(text: string): string {
  return text.replace(/\/deploy(?![\w-])( +)?/gm, (match: string, spaces: string | undefined, offset: number, whole: string) => {
    const rest = whole.slice(offset + match.length);
    if (spaces && rest !== '' && !/^[—\n]/.test(rest)) return '';
    return `deploy${spaces ?? ''}`;
  });
}

/** Inline markup (Slack mrkdwn's common subset) → terminal text. */
export function renderInline(text: string, style: Style, options: RenderOptions = {}): string {
  // Code spans are literal: split them out first, so `*` or `:x:` inside code stay as typed.
  return text
    .split(/(`[^`\n]+`)/)
    .map((part, i) => {
      if (i % 2 === 1) {
        const code = options.dropCommandPrefix === false ? part.slice(1, -1) : dropPrefix(part.slice(1, -1));
        // Backticks stay with colour too: a terminal shows what a pipe gets, and a copied command is the same text.
        return style.color ? style.code(`\`${code}\``) : `\`${code}\``;
      }
      return prose(part, style);
    })
    .join('');
}

function prose(text: string, style: Style): string {
  return text
    .replace(/<([@#!])([^<>|\s]+)(?:\|([^<>]*))?>/g, (_m, sigil: string, id: string, label: string | undefined) => {
      if (sigil === '!') return `@${label?.replace(/^@/, '') || id.replace(/^subteam\^/, '')}`;
      return `${sigil}${label?.replace(/^[@#]/, '') || id}`;
    })
    .replace(/<([A-Za-z][A-Za-z0-9+.-]*:[^<>|\s]+)(?:\|([^<>]*))?>/g, (_m, url: string, label: string | undefined) => label || url.replace(/^mailto:/, ''))
    .replace(/(^|\s):([a-z0-9_+-]+):(?=\s|$)(\s?)/g, (_m, before: string, name: string, after: string) => {
      const known = EMOJI[name];
      if (!known) return before;
      const [symbol, tone] = known;
      return `${before}${tone === 'plain' ? symbol : style[tone](symbol)}${after}`;
    })
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=[\s.,:;!?)]|$)/g, (_m, before: string, inner: string) => `${before}${style.bold(inner)}`);
}
