import type { types } from '@slack/bolt';
import type { Reply, ReplyBlock } from '../../../commands/replies/reply.js';
import { LIMITS, splitText, truncate } from './text.js';
import { codeBlock, plainText, safeMrkdwn } from './mrkdwn.js';

/**
 * A transport-neutral Reply as a Slack message: Block Kit blocks plus the plain `text` fallback
 * (notifications, screen readers, clients without blocks). Pure.
 *
 * Slack's limits are respected here rather than trusted to callers: sections are split at 3000
 * characters (at line boundaries), fields go ten to a section, headers are cut at 150, and a
 * message never exceeds 50 blocks (the last one then says how much was left out).
 */
export interface SlackMessage {
  text: string;
  blocks: types.KnownBlock[];
}

/** Every mrkdwn string leaves through here: escaped, with only the bot's own mentions and links. */
const mrkdwn = (text: string): types.MrkdwnElement => ({ type: 'mrkdwn', text: safeMrkdwn(text) });

/** Already-safe mrkdwn (a code block made by codeBlock). */
const rawMrkdwn = (text: string): types.MrkdwnElement => ({ type: 'mrkdwn', text });

function section(text: string): types.SectionBlock {
  return { type: 'section', text: mrkdwn(text) };
}

/** Sections of at most 3000 characters *after* escaping (`<` becomes four characters). */
function sections(text: string, max: number = LIMITS.sectionText): types.SectionBlock[] {
  return splitText(text, max).flatMap((chunk) => (safeMrkdwn(chunk).length <= LIMITS.sectionText || max < 200 ? [section(chunk)] : sections(chunk, Math.floor(max / 2))));
}

function fieldText(text: string, max: number = LIMITS.field): types.MrkdwnElement {
  const cut = truncate(text, max);
  return safeMrkdwn(cut).length <= LIMITS.field || max < 100 ? mrkdwn(cut) : fieldText(text, Math.floor(max / 2));
}

/** A block with nothing to show (the `refs` of an empty repository): Slack refuses empty texts. */
function isEmpty(block: ReplyBlock): boolean {
  switch (block.type) {
    case 'list':
      return block.items.every((item) => item.trim() === '');
    case 'fields':
      return block.fields.length === 0;
    default:
      return block.text.trim() === '';
  }
}

function blocksOf(block: ReplyBlock): types.KnownBlock[] {
  if (isEmpty(block)) return [];
  switch (block.type) {
    case 'heading':
      // Header blocks are plain text: mrkdwn markers would show literally.
      return [{ type: 'header', text: { type: 'plain_text', text: truncate(plainText(block.text).replace(/[*`]/g, ''), LIMITS.header) || ' ', emoji: true } }];
    case 'text':
      return sections(block.text);
    case 'list':
      return sections(block.items.filter((item) => item.trim() !== '').map((item) => `• ${item}`).join('\n'));
    case 'code': {
      // Fences take 6 characters (+2 newlines); escaping can lengthen the text, so leave room.
      return splitText(block.text, Math.floor((LIMITS.sectionText - 8) / 2)).map((chunk) => ({ type: 'section', text: rawMrkdwn(codeBlock(chunk)) }) as types.SectionBlock);
    }
    case 'context':
      return [{ type: 'context', elements: [mrkdwn(truncate(block.text, LIMITS.contextText / 2))] }];
    case 'fields': {
      const fields = block.fields.map(([label, value]) => fieldText(`*${label}*\n${value === '' ? '—' : value}`));
      const sections: types.SectionBlock[] = [];
      for (let i = 0; i < fields.length; i += LIMITS.fieldsPerSection) {
        sections.push({ type: 'section', fields: fields.slice(i, i + LIMITS.fieldsPerSection) });
      }
      return sections;
    }
  }
}

export function replyBlocks(reply: Reply, maxBlocks: number = LIMITS.messageBlocks): types.KnownBlock[] {
  const all = reply.blocks.flatMap(blocksOf);
  // Every block was empty: the plain statement is the message.
  if (all.length === 0 && reply.text.trim() !== '') return splitText(reply.text, LIMITS.sectionText).map(section);
  if (all.length <= maxBlocks) return all;
  const kept = all.slice(0, maxBlocks - 1);
  kept.push({ type: 'context', elements: [mrkdwn(`…${all.length - kept.length} more block(s) left out: Slack shows at most ${maxBlocks} per message.`)] });
  return kept;
}

export function replyMessage(reply: Reply): SlackMessage {
  return { text: truncate(safeMrkdwn(reply.text || ' '), LIMITS.fallbackText), blocks: replyBlocks(reply) };
}
