import { describe, expect, it } from 'vitest';
import { dropPrefix, renderReply } from '../../../src/chat/shell/output/render-reply.js';
import { errorReply } from '../../../src/commands/replies/reply.js';

describe('renderReply', () => {
  it('underlines headings, aligns fields, bullets lists and indents code', () => {
    const text = renderReply({
      text: 'Server web-1',
      blocks: [
        { type: 'text', text: 'Intro' },
        { type: 'heading', text: 'Server web-1' },
        { type: 'fields', fields: [['Address', '`root@10.0.0.1:22`'], ['Projects', 'api, web']] },
        { type: 'list', items: ['*one*', 'two'] },
        { type: 'code', text: 'line 1\n\nline 3' },
        { type: 'context', text: 'small print' },
      ],
    });
    expect(text).toBe(
      [
        'Intro',
        '',
        'Server web-1',
        '────────────',
        '  Address:   `root@10.0.0.1:22`',
        '  Projects:  api, web',
        '  • one',
        '  • two',
        '    line 1',
        '',
        '    line 3',
        'small print',
      ].join('\n'),
    );
  });

  it('translates Slack-only markup: emoji, mentions, channels, links', () => {
    const text = renderReply({
      text: '',
      blocks: [
        { type: 'text', text: ':white_check_mark: Added by <@U012ABC> and <@U034DEF|bob> in <#C0DEPLOY|deploys> or <#C0OTHER>' },
        { type: 'text', text: ':lock: Locked :tada: see <https://example.com/x|the docs> or <https://example.com/y>, <!here>' },
        { type: 'text', text: 'at 18:30:00, key `SHA256:ab:cd:`' },
      ],
    });
    expect(text.split('\n')).toEqual([
      '✓ Added by @U012ABC and @bob in #deploys or #C0OTHER',
      'Locked see the docs or https://example.com/y, @here',
      'at 18:30:00, key `SHA256:ab:cd:`',
    ]);
  });

  it('shows errors with a warning sign and their usage, without the /deploy prefix', () => {
    const text = renderReply(errorReply('Missing <ref>. Try `/deploy api main`.', '/deploy <project> <ref>  —  deploy\n/deploy  —  open the deploy form'));
    expect(text).toBe(['⚠ Missing <ref>. Try `api main`.', '    <project> <ref>  —  deploy', '    deploy  —  open the deploy form'].join('\n'));
    expect(renderReply(errorReply('x', '/deploy server list'), { dropCommandPrefix: false })).toContain('/deploy server list');
  });

  it('uses colour only when asked', () => {
    const reply = { text: 'ok', blocks: [{ type: 'text' as const, text: ':white_check_mark: *web-1* `server check web-1`' }] };
    expect(renderReply(reply)).not.toContain('\x1b[');
    expect(renderReply(reply, { color: true })).toBe('\x1b[32m✓\x1b[39m \x1b[1mweb-1\x1b[22m \x1b[36m`server check web-1`\x1b[39m');
  });

  it('drops only a whole /deploy word', () => {
    expect(dropPrefix('/deploy server list')).toBe('server list');
    expect(dropPrefix('/deploy')).toBe('deploy');
    expect(dropPrefix('/deployment stays')).toBe('/deployment stays');
  });
});
