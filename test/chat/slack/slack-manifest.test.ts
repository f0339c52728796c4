import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SLASH_COMMAND } from '../../../src/chat/slack/ids.js';

/** config/manifest.yaml: what Slack needs to route everything to the one endpoint. */
describe('Slack app manifest', () => {
  const manifest = parse(readFileSync(new URL('../../../config/manifest.yaml', import.meta.url), 'utf8')) as Record<string, any>;

  it('declares /deploy with Slack escaping, routed to /slack/events', () => {
    expect(manifest.features.slash_commands).toEqual([
      expect.objectContaining({ command: SLASH_COMMAND, should_escape: true, url: expect.stringMatching(/^https:\/\/.+\/slack\/events$/), usage_hint: expect.any(String) }),
    ]);
    expect(manifest.features.bot_user).toMatchObject({ display_name: 'deploybot' });
  });

  it('sends interactions and options loads to the same endpoint', () => {
    const { request_url, message_menu_options_url, is_enabled } = manifest.settings.interactivity;
    expect(is_enabled).toBe(true);
    expect(request_url).toMatch(/\/slack\/events$/);
    expect(message_menu_options_url).toBe(request_url);
    expect(manifest.features.slash_commands[0].url).toBe(request_url);
  });

  it('asks for exactly the scopes the bot uses, HTTP mode, and only the App Home event', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(['channels:join', 'chat:write', 'chat:write.public', 'commands', 'files:write', 'im:write', 'users:read']);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
    expect(manifest.settings.event_subscriptions.request_url).toBe(manifest.settings.interactivity.request_url);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
  });

  it('stays within Slack\'s length limits for display information', () => {
    const info = manifest.display_information;
    expect(info.name.length).toBeLessThanOrEqual(35);
    expect(info.description.length).toBeLessThanOrEqual(140);
    expect(info.long_description.length).toBeGreaterThanOrEqual(175);
    expect(info.long_description.length).toBeLessThanOrEqual(4000);
    expect(manifest.features.slash_commands[0].description.length).toBeLessThanOrEqual(100);
  });
});
