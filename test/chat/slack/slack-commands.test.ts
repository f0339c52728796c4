import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS, CALLBACKS } from '../../../src/chat/slack/ids.js';
import { RESPONSE_URL_METHOD } from '../../support/slack/slack-api-stand-in.js';
import { startAppFixture, type AppFixture } from './app-fixture.js';
import { allText, plainValue, radioValue, USERS } from './slack-harness.js';

/**
 * `/deploy` end to end through Bolt's real HTTP endpoint, with real signatures, the Web API
 * stand-in and SQLite: roles, usage answers, forged requests, the health check.
 */

let f: AppFixture;
beforeAll(async () => {
  f = await startAppFixture();
});
afterEach(() => f.h.expectNoRefusals());
afterAll(async () => {
  await f?.close();
});

describe('slash commands', () => {
  it('acks at once with an empty body and answers help ephemerally', async () => {
    const { ack, answer } = await f.h.command(USERS.alice, 'help');
    f.acked('help', ack);
    expect(ack.body).toBe('');
    const a = await answer();
    expect(a).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(allText(a)).toContain('/deploy server add');
  });

  it.each([
    ['server add web-9 root@10.0.0.9', 'add servers'],
    ['server edit web-1 port=2222', 'edit servers'],
    ['server remove web-2', 'remove servers'],
    ['project add blog repo=https://example.com/blog.git path=/srv/blog servers=web-1', 'add projects'],
    ['project edit shop keep=3', 'edit projects'],
    ['project remove shop', 'remove projects'],
    ['project hooks shop after_deploy="echo hi"', 'change hook scripts'],
    ['server add', 'add servers'],
    ['server edit web-1', 'edit servers'],
    ['project add', 'add projects'],
    ['project edit shop', 'edit projects'],
    ['project hooks shop', 'change hook scripts'],
  ])('refuses `%s` to a non-admin, ephemerally, and changes nothing', async (text, action) => {
    const before = await f.state();
    const mark = f.h.mark();
    const answer = await f.ask(USERS.alice, text);
    expect(answer).toContain(`Only deploybot admins can ${action}`);
    expect(await f.state()).toEqual(before);
    expect(f.h.standIn.calls().slice(mark).filter((c) => c.method !== RESPONSE_URL_METHOD).map((c) => c.method)).toEqual([]);
  });

  it.each([
    ['sever list', 'Did you mean `/deploy server list`', '/deploy server list'],
    ['server add web-9', '<user>@<host>', '/deploy server add <name> <user>@<host>'],
    ['rollback', '<project>', '/deploy rollback <project>'],
    ['approve soon', 'task', '/deploy approve <task>'],
  ])('answers a malformed `%s` with the usage, ephemerally', async (text, error, usage) => {
    const { ack, answer } = await f.h.command(USERS.bob, text);
    f.acked(text, ack);
    const a = await answer();
    expect(a.response_type).toBe('ephemeral');
    const blocks = a.blocks as { text?: { text: string } }[];
    expect(blocks[0]!.text!.text).toMatch(/^:warning: /);
    // Slack receives `<` and `>` escaped (else `<project>` would be read as a link), and shows them as typed.
    const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    expect(allText(a)).toContain(esc(error));
    expect(blocks.some((b) => b.text?.text.startsWith('```') && b.text.text.includes(esc(usage)))).toBe(true);
  });

  it('refuses forged and stale signatures with 401 and changes nothing', async () => {
    const before = await f.state();
    const mark = f.h.mark();
    const forged = await f.h.command(USERS.admin, 'server add web-9 root@10.0.0.9', { send: { forgeSignature: true } });
    const stale = await f.h.command(USERS.admin, 'server add web-9 root@10.0.0.9', { send: { stale: true } });
    expect([forged.ack.status, stale.ack.status]).toEqual([401, 401]);
    const click = await f.h.click({ action_id: 'task_approve', value: '1', user_id: USERS.admin }, { forgeSignature: true });
    const submit = await f.h.submit(
      { callback_id: CALLBACKS.serverAdd, user_id: USERS.admin, values: { name: plainValue('web-9'), hostname: plainValue('10.0.0.9'), username: plainValue('root'), authKind: radioValue('key') } },
      { stale: true },
    );
    const suggest = await f.h.suggest({ action_id: ACTIONS.deployVersion, block_id: 'version.shop', value: '' }, { forgeSignature: true });
    expect([click.status, submit.status, suggest.status]).toEqual([401, 401, 401]);
    await new Promise((r) => setTimeout(r, 300));
    expect(f.h.standIn.calls().slice(mark)).toEqual([]);
    expect(await f.state()).toEqual(before);
  });

  it('serves GET /healthz with the database status', async () => {
    const res = await fetch(`${f.h.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, db: 'ok', mode: 'http' });
  });
});

describe('Slack limits', () => {
  it('acks every request well within 3 seconds', () => {
    f.expectFastAcks(15);
  });
});
