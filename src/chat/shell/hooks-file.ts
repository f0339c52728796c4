import type { HookScripts } from '../../core/views.js';
import { HOOK_NAMES, LOCAL_HOOKS, type HookName } from '../../pipeline/stages.js';

/**
 * The file `project hooks <name>` opens in $EDITOR: the four hook scripts in marked sections.
 * Everything above the first marker is an explanation and is ignored; a section left empty means
 * "no hook". Pure functions, so the round trip is easy to test.
 */
const MARKER = /^#{3,} hook: ([a-z_]+) #{3,}\s*$/;

export function formatHooksFile(project: string, hooks: HookScripts): string {
  const head = [
    `# Hook scripts of project ${project}. Edit the scripts under the markers, save and quit.`,
    '# A section left empty removes that hook. Lines above the first marker are ignored;',
    '# keep the marker lines as they are. Quit without saving to change nothing.',
    '#',
    `# ${HOOK_NAMES.filter((h) => LOCAL_HOOKS.includes(h)).join(', ')} run on the bot host, in the build workspace;`,
    `# ${HOOK_NAMES.filter((h) => !LOCAL_HOOKS.includes(h)).join(', ')} run on every server, in the new release directory.`,
    '',
  ];
  const sections = HOOK_NAMES.flatMap((name) => {
    const script = hooks[name].replace(/\s+$/, '');
    return [`### hook: ${name} ###`, ...(script ? [script] : []), ''];
  });
  return [...head, ...sections].join('\n');
}

export type ParsedHooks = { ok: true; hooks: HookScripts } | { ok: false; error: string };

export function parseHooksFile(text: string): ParsedHooks {
  const found = new Map<HookName, string[]>();
  let current: string[] | undefined;
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    const m = MARKER.exec(line);
    if (m) {
      const name = m[1] as HookName;
      if (!HOOK_NAMES.includes(name)) return { ok: false, error: `unknown hook "${m[1]}" in a marker line (hooks: ${HOOK_NAMES.join(', ')})` };
      if (found.has(name)) return { ok: false, error: `the ${name} section appears twice` };
      current = [];
      found.set(name, current);
      continue;
    }
    current?.push(line);
  }
  const missing = HOOK_NAMES.filter((h) => !found.has(h));
  if (missing.length) return { ok: false, error: `the marker line of ${missing.join(', ')} is missing (### hook: ${missing[0]} ###)` };
  const hooks = Object.fromEntries(HOOK_NAMES.map((h) => [h, trimBlankLines(found.get(h)!)])) as unknown as HookScripts;
  return { ok: true, hooks };
}

function trimBlankLines(lines: string[]): string {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]!.trim() === '') start++;
  while (end > start && lines[end - 1]!.trim() === '') end--;
  return lines.slice(start, end).join('\n');
}

/** The hooks that differ (ignoring trailing white space), as the values to save. */
export function changedHooks(before: HookScripts, after: HookScripts): Partial<HookScripts> {
  const norm = (s: string) => s.replace(/\s+$/, '');
  const out: Partial<HookScripts> = {};
  for (const name of HOOK_NAMES) if (norm(before[name]) !== norm(after[name])) out[name] = after[name];
  return out;
}
