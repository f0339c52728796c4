import type { types } from '@slack/bolt';
import type { Reply, ReplyBlock } from '../../../commands/reply.js';
import { LIMITS, splitText, truncate } from './text.js';

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

const mrkdwn = (text: string): types.MrkdwnElement => ({ type: 'mrkdwn', text });

function section(text: string): types.SectionBlock {
  return { type: 'section', text: mrkdwn(text) };
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
      return [{ type: 'header', text: { type: 'plain_text', text: truncate(block.text.replace(/[*`]/g, ''), LIMITS.header) || ' ', emoji: true } }];
    case 'text':
      return splitText(block.text, LIMITS.sectionText).map(section);
    case 'list':
      return splitText(block.items.filter((item) => item.trim() !== '').map((item) => `• ${item}`).join('\n'), LIMITS.sectionText).map(section);
    case 'code': {
      // Fences take 6 characters (+2 newlines); a fence inside the code would end the block early.
      const body = block.text.replace(/```/g, "'''");
      return splitText(body, LIMITS.sectionText - 8).map((chunk) => section(`\`\`\`\n${chunk}\n\`\`\``));
    }
    case 'context':
      return [{ type: 'context', elements: [mrkdwn(truncate(block.text, LIMITS.contextText))] }];
    case 'fields': {
      const fields = block.fields.map(([label, value]) => mrkdwn(truncate(`*${label}*\n${value === '' ? '—' : value}`, LIMITS.field)));
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
  return { text: truncate(reply.text || ' ', LIMITS.fallbackText), blocks: replyBlocks(reply) };
}
