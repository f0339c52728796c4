import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionText } from '../../../src/chat/slack/blocks/decisions.js';
import { codeBlock, escapeMrkdwn, safeMrkdwn } from '../../../src/chat/slack/blocks/mrkdwn.js';
import { replyMessage } from '../../../src/chat/slack/blocks/reply-blocks.js';
import { taskMessage } from '../../../src/chat/slack/task-status/task-message-blocks.js';
import { homeView } from '../../../src/chat/slack/views/home-view.js';
import { TaskProgress } from '../../../src/chat/task-progress.js';
import { parseCommandOrThrow } from '../../../src/commands/grammar/commands.js';
import type { CommandOutcome } from '../../../src/commands/replies/command-outcome.js';
import { summariseChanges } from '../../../src/core/tasks/change-summary.js';
import { mention, splitMarks } from '../../../src/core/mention.js';
import type { TaskView } from '../../../src/core/views.js';
import { createRuntimeFixture, type RuntimeFixture } from '../../support/runtime-fixture.js';

/** Repository text that tries to act in Slack: ping the channel, fake a mention, disguise a link, break a code block. */
const EVIL = '<!channel> urgent <@UEVIL0001> <https://evil.example|Approve here> ``` &amp;';
const ACTIVE = ['<!channel>', '<@UEVIL0001>', '<https://evil.example', '|Approve here>'];

/** Every mrkdwn string of a message or view. */
function mrkdwnTexts(value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(value);
  return out;
}

/** The evil text is there (people see it) and inert: no ping, no mention, no link, no fence of its own. */
function expectInert(texts: string[], where: string): void {
  const all = texts.join('\n');
  expect(all, `${where} shows the text`).toContain('&lt;!channel&gt; urgent &lt;@UEVIL0001&gt; &lt;https://evil.example|Approve here&gt;');
  for (const active of ACTIVE) expect(all, `${where}: ${active}`).not.toContain(active);
  for (const t of texts) {
    // Only the builder's own fences: an even number, each at a line start or end.
    const fences = t.match(/```/g) ?? [];
    expect(fences.length % 2, `${where}: unbalanced fence in ${t}`).toBe(0);
    if (fences.length) expect(t.startsWith('```') && t.endsWith('```'), `${where}: a fence inside ${t}`).toBe(true);
  }
  expect(all).not.toContain('&amp;amp;amp;');
}

const replyTexts = (o: CommandOutcome) => ('reply' in o ? mrkdwnTexts(replyMessage(o.reply)).concat(replyMessage(o.reply).text) : []);

describe('text from repositories and people renders inert in Slack', () => {
  let f: RuntimeFixture;
  let approval: CommandOutcome;
  let task: TaskView;
  beforeAll(async () => {
    f = await createRuntimeFixture({ servers: 1 });
    await f.runtime.begin();
    const first = await f.runtime.executor.execute(f.admin, parseCommandOrThrow('deploy app v1'));
    if (first.kind !== 'task') throw new Error(JSON.stringify(first));
    await f.runtime.events.waitForFinish(first.task.id);
    // The evil commit, by an evil author.
    await f.repo.git('-c', `user.name=${EVIL}`, '-c', 'user.email=evil@example.com', 'commit', '--allow-empty', '-q', '-m', EVIL);
    await f.repo.tag('v3');
    await f.runtime.executor.execute(f.admin, parseCommandOrThrow(`project edit app env=prod approvers=UALICE01 title="${EVIL.replace(/"/g, '')}"`));
    approval = await f.runtime.executor.execute(f.admin, parseCommandOrThrow('deploy app v3'));
    if (approval.kind !== 'task') throw new Error(JSON.stringify(approval));
    task = approval.task;
  });
  afterAll(() => f?.close());

  it('in the deploy reply and its change list', () => {
    expect(task.status).toBe('awaiting_approval');
    const texts = replyTexts(approval);
    expectInert(texts, 'deploy reply');
    // The bot's own mention of the approver is real.
    expect(texts.join('\n')).toContain('<@UALICE01>');
  });

  it('in the approval message that approvers act on', async () => {
    const p = new TaskProgress(task, ['web-1']);
    p.changes = await f.runtime.app.withServices((s) => summariseChanges(s.em, f.runtime.git, 'app', task.commit!));
    const message = taskMessage(p, { timeZone: 'UTC' });
    const texts = mrkdwnTexts(message.blocks);
    expectInert(texts, 'approval message');
    expect(texts.join('\n')).toContain(`requested by <@${f.admin.id}>`);
    expect(JSON.stringify(message.blocks)).toContain('"action_id"');
  });

  it('in refs', async () => {
    expectInert(replyTexts(await f.runtime.executor.execute(f.admin, parseCommandOrThrow('refs app'))), 'refs');
  });

  it('in project show and list (the title)', async () => {
    for (const text of ['project show app', 'project list']) {
      const all = replyTexts(await f.runtime.executor.execute(f.admin, parseCommandOrThrow(text))).join('\n');
      // The title is in a plain_text header there (never parsed); no mrkdwn string may carry it live.
      for (const active of ACTIVE) expect(all, `${text}: ${active}`).not.toContain(active);
    }
  });

  it('in the Home tab (title, lock reason) and in a reject reason', async () => {
    const lock = await f.runtime.executor.execute(f.admin, parseCommandOrThrow(`lock app ${EVIL.replace(/`/g, '')}`));
    expect(JSON.stringify(replyTexts(lock))).not.toContain('<!channel>');
    const project = await f.runtime.app.withServices((s) => s.projects.show('app'));
    const home = homeView([{ project: project as never, live: [], recent: [task] }], 'UTC');
    const texts = mrkdwnTexts(home);
    for (const active of ACTIVE) expect(texts.join('\n'), `home: ${active}`).not.toContain(active);
    expect(texts.join('\n')).toContain(`locked by <@${f.admin.id}>`);
    const rejected = decisionText('rejected', { ...task, status: 'rejected', rejectReason: EVIL }, 'UALICE01', 'UTC');
    expectInert([rejected], 'reject reason');
    expect(rejected).toContain('Rejected by <@UALICE01>');
  });
});

describe('the escaping rule', () => {
  it('escapes &, < and >, and breaks triple backticks', () => {
    expect(escapeMrkdwn('a & b <c> ``` d')).toBe('a &amp; b &lt;c&gt; `\u200B`\u200B` d');
  });

  it('keeps code blocks closed whatever the text', () => {
    const block = codeBlock('line\n```\n<!here>\n``````');
    expect(block.match(/```/g)).toHaveLength(2);
    expect(block).toContain('&lt;!here&gt;');
  });

  it('renders only marks of this process: a forged mark is plain text', () => {
    expect(safeMrkdwn(`hi ${mention('UBOB0001')}`)).toBe('hi <@UBOB0001>');
    const forged = '\uFDD0000000000000@UEVIL0001\uFDD1';
    expect(safeMrkdwn(forged)).not.toContain('<@');
    expect(splitMarks(forged).every((p) => typeof p === 'string')).toBe(true);
    expect(safeMrkdwn('local user')).toBe('local user');
    expect(mention('alice')).toBe('@alice');
  });
});
