import type { App } from '@slack/bolt';
import { errorMessage } from '../../../../errors.js';
import { versionOptions, type OptionsAnswer } from '../../blocks/version-options.js';
import { ACTIONS } from '../../ids.js';
import { matchingOptions } from '../../views/server-picker.js';
import type { SlackDeps } from '../../slack-deps.js';

/**
 * Options loads (external selects). The version picker answers from the version catalog within
 * Slack's 3 seconds: a fetch that takes longer goes on in the background, and the picker says so.
 */
export const VERSION_LOOKUP_BUDGET_MS = 1_500;

export function register(app: App, deps: SlackDeps): void {
  // Server and project pickers beyond 100 entries (external selects): names matching what was typed.
  app.options(ACTIONS.serverOptions, async ({ ack, body }) => {
    const query = 'value' in body ? String(body.value ?? '') : '';
    const servers = await deps.runtime.app.withServices((s) => s.servers.list()).catch(() => []);
    await ack(matchingOptions(servers.map((s) => ({ name: s.name })), query));
  });
  app.options(ACTIONS.deployProject, async ({ ack, body }) => {
    const query = 'value' in body ? String(body.value ?? '') : '';
    const projects = await deps.runtime.app.withServices((s) => s.projects.list()).catch(() => []);
    await ack(matchingOptions(projects.map((p) => ({ name: p.name, label: p.title && p.title !== p.name ? `${p.name} — ${p.title}` : p.name })), query));
  });
  app.options(ACTIONS.deployVersion, async ({ ack, body }) => {
    const blockId = 'block_id' in body ? String(body.block_id) : '';
    await ack(await versionOptionsFor(deps, blockId, 'value' in body ? String(body.value ?? '') : ''));
  });
}

/** Options for the version input `blockId` (which names the project: `version.<project>`) and the typed text. */
export async function versionOptionsFor(deps: SlackDeps, blockId: string, query: string): Promise<OptionsAnswer> {
  const name = blockId.startsWith('version.') ? blockId.slice('version.'.length) : undefined;
  if (!name) return versionOptions(null, query, { note: { kind: 'no-project' } });
  try {
    const project = await deps.runtime.app.withServices((s) => s.projects.show(name));
    const { refs, note } = await deps.versions.lookup(project.repoUrl, VERSION_LOOKUP_BUDGET_MS);
    return versionOptions(refs, query, { defaultBranch: project.defaultBranch, ...(note ? { note } : {}) });
  } catch (err) {
    deps.log.warn('version options failed', { project: name, error: errorMessage(err) });
    return versionOptions(null, query, { note: { kind: 'error', message: errorMessage(err) } });
  }
}
