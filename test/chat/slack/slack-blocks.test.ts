import { describe, expect, it } from 'vitest';
import { decisionText, selfApprovalBlocks } from '../../../src/chat/slack/blocks/decisions.js';
import { replyBlocks, replyMessage } from '../../../src/chat/slack/blocks/reply-blocks.js';
import { escapeMrkdwn, splitText, truncate } from '../../../src/chat/slack/blocks/text.js';
import { isVersionSentinel, versionOptions, type VersionRefs } from '../../../src/chat/slack/blocks/version-options.js';
import { HELP_TEXT } from '../../../src/commands/grammar/commands.js';
import { errorReply, reply } from '../../../src/commands/replies/reply.js';
import type { TaskView } from '../../../src/core/views.js';

/** The pure Block Kit builders: Reply → blocks within Slack's limits, decisions, the version picker. */

type Section = { type: string; text?: { type: string; text: string }; fields?: { text: string }[]; elements?: { text: string }[] };
const texts = (blocks: unknown[]) => (blocks as Section[]).flatMap((b) => [b.text?.text, ...(b.fields ?? []).map((f) => f.text), ...(b.elements ?? []).map((e) => e.text)]).filter((t): t is string => t !== undefined);

describe('text helpers', () => {
  it('truncates by code points with an ellipsis, splits at line boundaries, escapes mrkdwn', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('🚀🚀🚀', 2)).toBe('🚀…');
    expect(truncate('abc', 3)).toBe('abc');
    expect(splitText('aaa\nbbb\nccc', 7)).toEqual(['aaa\nbbb', 'ccc']);
    expect(splitText('x'.repeat(10), 4)).toEqual(['xxxx', 'xxxx', 'xx']);
    expect(escapeMrkdwn('a & <!here> <@U1>')).toBe('a &amp; &lt;!here&gt; &lt;@U1&gt;');
  });
});

describe('replyBlocks', () => {
  it('maps each reply block to Block Kit, with the text fallback', () => {
    const r = reply(
      'Project shop',
      { type: 'heading', text: 'Project *shop* — `main`' },
      { type: 'text', text: 'hello *world*' },
      { type: 'fields', fields: [['Repo', '`git@x:y.git`'], ['Empty', '']] },
      { type: 'list', items: ['one', 'two'] },
      { type: 'code', text: 'a ``` b' },
      { type: 'context', text: 'small print' },
    );
    expect(replyMessage(r)).toEqual({
      text: 'Project shop',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Project shop — main', emoji: true } },
        { type: 'section', text: { type: 'mrkdwn', text: 'hello *world*' } },
        { type: 'section', fields: [{ type: 'mrkdwn', text: '*Repo*\n`git@x:y.git`' }, { type: 'mrkdwn', text: '*Empty*\n—' }] },
        { type: 'section', text: { type: 'mrkdwn', text: '• one\n• two' } },
        // A fence inside code is broken with zero-width spaces: it cannot end the block.
        { type: 'section', text: { type: 'mrkdwn', text: '```\na `\u200B`\u200B` b\n```' } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'small print' }] },
      ],
    });
  });

  it('keeps every section within 3000 characters, fields ten to a section, headers within 150', () => {
    const long = Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join('\n');
    const blocks = replyBlocks(
      reply('big', { type: 'heading', text: 'h'.repeat(400) }, { type: 'text', text: long }, { type: 'code', text: long }, { type: 'list', items: long.split('\n') }, {
        type: 'fields',
        fields: Array.from({ length: 23 }, (_, i): [string, string] => [`f${i}`, 'v'.repeat(3000)]),
      }),
    ) as Section[];
    expect((blocks[0] as unknown as { text: { text: string } }).text.text.length).toBe(150);
    for (const t of texts(blocks)) expect(t.length).toBeLessThanOrEqual(3000);
    const fieldSections = blocks.filter((b) => b.fields);
    expect(fieldSections.map((b) => b.fields!.length)).toEqual([10, 10, 3]);
    for (const f of fieldSections.flatMap((b) => b.fields!)) expect(f.text.length).toBeLessThanOrEqual(2000);
    for (const code of blocks.filter((b) => b.text?.text.startsWith('```'))) expect(code.text!.text.endsWith('```')).toBe(true);
    // the long text is all there, in order, across sections
    expect(blocks.filter((b) => b.type === 'section' && b.text && !b.text.text.startsWith('```') && !b.text.text.startsWith('•')).map((b) => b.text!.text).join('\n')).toBe(long);
  });

  it('never exceeds 50 blocks and says how many were left out', () => {
    const r = reply('many', ...Array.from({ length: 70 }, (_, i) => ({ type: 'text' as const, text: `#${i}` })));
    const blocks = replyBlocks(r) as Section[];
    expect(blocks).toHaveLength(50);
    expect(blocks[49]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: expect.stringContaining('21 more block(s) left out') }] });
  });

  it('renders the whole help text within the limits', () => {
    const blocks = replyBlocks(reply('help', { type: 'code', text: HELP_TEXT }));
    for (const t of texts(blocks)) expect(t.length).toBeLessThanOrEqual(3000);
    // Escaped as Slack requires: `<project>` would otherwise be read as a link.
    expect(texts(blocks).join('')).toContain('/deploy rollback &lt;project&gt;');
  });

  it('shows refusals with the warning and the usage in a code block', () => {
    const m = replyMessage(errorReply('Missing `<project>`.', '/deploy rollback <project>'));
    expect(m.text).toBe('Missing `&lt;project&gt;`.');
    expect(texts(m.blocks)).toEqual([':warning: Missing `&lt;project&gt;`.', '```\n/deploy rollback &lt;project&gt;\n```']);
  });
});

const baseTask: TaskView = {
  id: 7, project: 'shop', environment: 'prod', kind: 'deploy', ref: 'v2', commit: null, status: 'approved', requestedBy: 'UALICE01',
  approvedBy: 'UBOB0001', approvedAt: null, rejectedBy: null, rejectReason: null, cancelledBy: null, scheduledAt: null, startedAt: null,
  finishedAt: null, releaseId: null, error: null, hooks: { before_download: '', after_download: '', before_deploy: '', after_deploy: '' }, slack: null, createdAt: new Date(0),
};

describe('decisions', () => {
  it('says who decided, and escapes a typed reason', () => {
    expect(decisionText('approved', baseTask, 'UBOB0001', 'UTC')).toBe(':white_check_mark: Approved by <@UBOB0001>.');
    expect(decisionText('approved', { ...baseTask, requestedBy: 'UBOB0001' }, 'UBOB0001', 'UTC')).toContain('(self-approved: no other reviewer)');
    expect(decisionText('approved', { ...baseTask, status: 'scheduled', scheduledAt: new Date('2030-01-02T09:00:00Z') }, 'UBOB0001', 'UTC')).toContain(`It runs <!date^${Date.parse('2030-01-02T09:00:00Z') / 1000}^{date_short_pretty} at {time}|2030-01-02 09:00 (UTC)>.`);
    expect(decisionText('rejected', { ...baseTask, rejectReason: 'no <!channel> & <@U999|x>' }, 'UBOB0001', 'UTC')).toBe(':no_entry: Rejected by <@UBOB0001>: no &lt;!channel&gt; &amp; &lt;@U999|x&gt;');
    expect(decisionText('cancelled', baseTask, 'UALICE01', 'UTC')).toBe(':no_entry_sign: Cancelled by <@UALICE01>.');
    expect(decisionText('rollback', { ...baseTask, id: 9, kind: 'rollback' }, 'UBOB0001', 'UTC')).toBe(':rewind: <@UBOB0001> started rollback #9 of shop.');
  });

  it('asks an admin to confirm a self-approval with a Block Kit confirm dialog', () => {
    const m = selfApprovalBlocks(7, 'You requested deploy #7 yourself.');
    expect(m.text).toBe('You requested deploy #7 yourself.');
    expect(m.blocks[1]).toMatchObject({
      type: 'actions',
      elements: [{ type: 'button', action_id: 'task_approve_self', value: '7', text: { text: 'Approve my own request' }, confirm: { confirm: { text: 'Approve my own request' }, deny: { text: 'Cancel' } } }],
    });
  });
});

describe('versionOptions', () => {
  const d = (n: number) => new Date(Date.UTC(2026, 0, n));
  const refs: VersionRefs = {
    branches: [
      { name: 'feature/login', sha: 'a'.repeat(40), date: d(5) },
      { name: 'main', sha: 'b'.repeat(40), date: d(4) },
      { name: 'v1.0.0', sha: 'c'.repeat(40), date: d(1) },
      { name: `x/${'y'.repeat(200)}`, sha: 'd'.repeat(40), date: d(1) },
    ],
    tags: [
      { name: 'v1.1.0', sha: 'e'.repeat(40), date: d(3) },
      { name: 'v1.0.0', sha: 'c'.repeat(40), date: d(1) },
    ],
    commits: [
      { sha: '0123456789abcdef0123456789abcdef01234567', shortSha: '0123456', author: 'A', date: d(5), summary: `Add the login page ${'and more '.repeat(20)}` },
      { sha: 'fedcba9876543210fedcba9876543210fedcba98', shortSha: 'fedcba9', author: 'B', date: d(4), summary: 'Fix payments' },
    ],
  };
  type Groups = { option_groups: { label: { text: string }; options: { value: string; text: { text: string } }[] }[] };
  const values = (answer: unknown) => Object.fromEntries(((answer as Groups).option_groups ?? []).map((g) => [g.label.text, g.options.map((o) => o.value)]));

  it('lists branches (default first), tags and commits; skips values Slack cannot hold and duplicates', () => {
    const answer = versionOptions(refs, '', { defaultBranch: 'main' });
    expect(values(answer)).toEqual({
      Branches: ['main', 'feature/login', 'v1.0.0'],
      Tags: ['v1.1.0'],
      'Recent commits': [refs.commits[0]!.sha, refs.commits[1]!.sha],
    });
    for (const g of (answer as Groups).option_groups) for (const o of g.options) expect(o.text.text.length).toBeLessThanOrEqual(75);
  });

  it('filters by prefix, path segment, version number, commit id and summary', () => {
    expect(values(versionOptions(refs, 'LOG'))).toEqual({ Branches: ['feature/login'], 'Recent commits': [refs.commits[0]!.sha] });
    expect(values(versionOptions(refs, '1.1'))).toEqual({ Tags: ['v1.1.0'] });
    expect(values(versionOptions(refs, 'fedc'))).toEqual({ 'Recent commits': [refs.commits[1]!.sha] });
  });

  it('offers the typed text when nothing matches and it is a valid ref, never otherwise', () => {
    expect(values(versionOptions(refs, 'deadbeef'))).toEqual({ 'As typed': ['deadbeef'] });
    expect(values(versionOptions(refs, 'release/2027'))).toEqual({ 'As typed': ['release/2027'] });
    expect(versionOptions(refs, 'bad ref')).toEqual({ options: [] });
    expect(versionOptions(refs, '$(reboot)')).toEqual({ options: [] });
    expect(versionOptions(refs, '--upload-pack=x')).toEqual({ options: [] });
  });

  it('says when the repository is still being fetched, or cannot be read; those values are sentinels', () => {
    const loading = values(versionOptions(null, 'v2', { note: { kind: 'loading' } }));
    expect(loading).toEqual({ Repository: [':loading'], 'As typed': ['v2'] });
    const error = versionOptions(null, '', { note: { kind: 'error', message: 'git clone failed for https://x/y.git: not found' } }) as Groups;
    expect(error.option_groups[0]!.options[0]!.text.text).toMatch(/^Cannot read the repository: git clone failed/);
    expect(isVersionSentinel(':loading')).toBe(true);
    expect(isVersionSentinel('main')).toBe(false);
  });

  it('never offers more than 100 options', () => {
    const many: VersionRefs = {
      branches: Array.from({ length: 300 }, (_, i) => ({ name: `b${i}`, sha: 'a'.repeat(40), date: d(1) })),
      tags: Array.from({ length: 300 }, (_, i) => ({ name: `t${i}`, sha: 'a'.repeat(40), date: d(1) })),
      commits: Array.from({ length: 300 }, (_, i) => ({ sha: i.toString(16).padStart(40, '0'), shortSha: 'x', author: 'a', date: d(1), summary: 's' })),
    };
    const answer = versionOptions(many, '') as Groups;
    expect(answer.option_groups.flatMap((g) => g.options).length).toBeLessThanOrEqual(100);
  });
});
