import type { types } from '@slack/bolt';
import type { HookScripts, ProjectView } from '../../../core/views.js';
import { HOOK_NAMES, LOCAL_HOOKS, type HookName } from '../../../pipeline/stages.js';
import type { HookSource } from '../../../commands/grammar/command-types.js';
import { LIMITS } from '../blocks/text.js';
import { CALLBACKS } from '../ids.js';
import { encodeMetadata, type ViewMetadata } from '../metadata.js';
import { context, modal, textInput } from './elements.js';
import { hasBlock, rawText, type StateValues } from './view-state.js';

/**
 * Hook script inputs, shared by the hooks form and the deploy form. A Slack text input holds at
 * most 3000 characters: a longer script is described instead of offered for editing (and is
 * left as it is), so a form can never silently cut a script.
 */
export const HOOK_HINTS: Record<HookName, string> = {
  before_download: "Runs on the bot's host before the code is fetched.",
  after_download: "Runs on the bot's host in the fetched code (build steps: npm ci, composer install…).",
  before_deploy: 'Runs on each server in the new release before it goes live (migrations…).',
  after_deploy: 'Runs on each server after the switch (restart the app, warm caches…).',
};

export const hookEditable = (script: string): boolean => script.length <= LIMITS.inputMax;

export function hookBlocks(hooks: HookScripts, blockId: (hook: HookName) => string): types.KnownBlock[] {
  return HOOK_NAMES.map((hook) =>
    hookEditable(hooks[hook])
      ? textInput(blockId(hook), hook, { optional: true, multiline: true, initial: hooks[hook], hint: HOOK_HINTS[hook] })
      : context(`*${hook}* is ${hooks[hook].length} characters long, more than a Slack form can hold: it is kept as it is. Change it from the shell: \`deploybot project hooks <name> ${hook}=@file.sh\`.`),
  );
}

/** The scripts of the hook inputs present in the submitted form, as typed ('' = cleared). */
export function readHookInputs(values: StateValues, blockId: (hook: HookName) => string): Partial<HookScripts> {
  const out: Partial<HookScripts> = {};
  for (const hook of HOOK_NAMES) {
    const id = blockId(hook);
    if (hasBlock(values, id)) out[hook] = rawText(values, id).replace(/\r\n/g, '\n');
  }
  return out;
}

export function hooksModal(options: { project: ProjectView; metadata: ViewMetadata }): types.ModalView {
  const p = options.project;
  const blocks: types.KnownBlock[] = [
    context(`Shell scripts of *${p.name}*, run with \`sh\`. ${LOCAL_HOOKS.join(' and ')} run on the bot's host; the others on every server. Empty = no hook.`),
    ...hookBlocks(p.hooks, (hook) => hook),
  ];
  return modal(CALLBACKS.projectHooks, `Hooks of ${p.name}`, 'Save hooks', blocks, encodeMetadata({ ...options.metadata, name: p.name }));
}

/** The form's scripts as the `project hooks` command takes them: inline scripts, or clear. */
export function readHooksForm(values: StateValues): Partial<Record<HookName, HookSource>> {
  const scripts = readHookInputs(values, (hook) => hook);
  const out: Partial<Record<HookName, HookSource>> = {};
  for (const [hook, script] of Object.entries(scripts) as [HookName, string][]) {
    out[hook] = script.trim() === '' ? { kind: 'clear' } : { kind: 'inline', script };
  }
  return out;
}
