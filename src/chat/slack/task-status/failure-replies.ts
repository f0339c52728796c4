import type { PipelineEvent } from '../../../pipeline/events.js';
import { codeBlock, plainText, safeMrkdwn } from '../blocks/mrkdwn.js';
import { truncate } from '../blocks/text.js';
import type { Block } from './task-message-blocks.js';

/**
 * One thread reply per wave of failures (the servers that failed in one stage), edited as more
 * servers fail: a migration failing on 50 servers is one message, not 50 (Slack allows about one
 * message a second per channel). The first few failures show their first lines of output; the rest
 * are counted. Pure. Server output comes from repositories' scripts: the one escaping rule
 * (safeMrkdwn, codeBlock) applies to every text here.
 */
export type HostFailure = Extract<PipelineEvent, { type: 'host.stage.finished' }>;

const DETAILED = 3;
const OUTPUT_LINES = 8;

const exit = (f: HostFailure): string => (f.exitCode != null ? ` (exit code ${f.exitCode})` : '');

export function failureGroup(stage: string, failures: HostFailure[]): { text: string; blocks: Block[] } {
  const n = failures.length;
  const head = `:x: ${n} server${n > 1 ? 's' : ''} failed at *${stage}*`;
  const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(head) } }];
  for (const f of failures.slice(0, DETAILED)) {
    const lines = (f.outputTail ?? '').trim().split('\n').filter(Boolean).slice(0, OUTPUT_LINES).join('\n');
    const body = `${safeMrkdwn(`*${f.host}*${exit(f)}: ${truncate(f.error ?? 'failed', 500)}`)}${lines ? `\n${codeBlock(truncate(lines, 2000))}` : ''}`;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: body } });
  }
  const rest = failures.slice(DETAILED);
  if (rest.length) {
    const codes = new Map<string, number>();
    for (const f of rest) codes.set(f.exitCode != null ? `exit code ${f.exitCode}` : 'no exit code', (codes.get(f.exitCode != null ? `exit code ${f.exitCode}` : 'no exit code') ?? 0) + 1);
    const counts = [...codes].map(([code, count]) => `${count} × ${code}`).join(', ');
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: safeMrkdwn(truncate(`… and ${rest.length} more (${counts}): ${rest.map((f) => f.host).join(', ')}`, 2000)) }] });
  }
  const first = failures[0]!;
  const text = n === 1 ? `✗ ${first.host} failed at ${stage}${exit(first)}: ${first.error ?? 'failed'}` : `✗ ${n} servers failed at ${stage}: ${failures.map((f) => f.host).join(', ')}`;
  return { text: truncate(plainText(text), 3000), blocks };
}
