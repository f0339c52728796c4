import type { types } from '@slack/bolt';
import { LIMITS, truncate } from '../blocks/text.js';
import { ACTIONS, INPUT } from '../ids.js';
import { context, input, option, plain } from './elements.js';
import { hasBlock, selectedMany, type StateValues } from './view-state.js';

/**
 * Picking a project's servers, at any fleet size. A static menu holds at most 100 options, and a
 * saved form sends back only what it showed: with more servers, a menu would silently drop the
 * rest. So up to 100 servers get one multi-select with the current ones chosen; beyond that the
 * form shows how many there are and offers "add" and "remove" pickers whose options load from
 * the server list as the person types (external selects). What is not touched stays as it is.
 */
export const SERVER_PICKER = { servers: 'servers', add: 'serversAdd', remove: 'serversRemove' } as const;

const fits = (all: string[], chosen: string[]): boolean => all.length <= LIMITS.optionsPerMenu && chosen.length <= LIMITS.optionsPerMenu;

export function serverPickerBlocks(all: string[], chosen: string[] | undefined): types.KnownBlock[] {
  const current = chosen ?? [];
  if (fits(all, current)) {
    const options = all.map((name) => option(name, name));
    const initial = options.filter((o) => current.includes(o.value ?? ''));
    return [input(SERVER_PICKER.servers, 'Servers', { type: 'multi_static_select', action_id: INPUT, placeholder: plain('Pick servers'), options, ...(initial.length ? { initial_options: initial } : {}) })];
  }
  const external = (placeholder: string): types.MultiExternalSelect => ({ type: 'multi_external_select', action_id: ACTIONS.serverOptions, placeholder: plain(placeholder), min_query_length: 0 });
  if (chosen === undefined) return [input(SERVER_PICKER.servers, 'Servers', external('Type to find servers'), { hint: `${all.length} servers are registered: type part of a name.` })];
  const shown = truncate(current.join(', '), LIMITS.contextText - 100);
  return [
    context(`*Servers* (${current.length}): ${shown}`),
    input(SERVER_PICKER.add, 'Add servers', external('Type to find servers'), { optional: true, hint: 'The servers above stay; these are added.' }),
    input(SERVER_PICKER.remove, 'Remove servers', external('Type to find servers'), { optional: true, hint: 'Only these are removed from the project.' }),
  ];
}

/** The servers the form asks for; undefined when it leaves them as they are. */
export function readServerPicker(values: StateValues, current: string[] | undefined): string[] | undefined {
  if (hasBlock(values, SERVER_PICKER.add) || hasBlock(values, SERVER_PICKER.remove)) {
    const add = selectedMany(values, SERVER_PICKER.add, ACTIONS.serverOptions);
    const remove = new Set(selectedMany(values, SERVER_PICKER.remove, ACTIONS.serverOptions));
    if (add.length === 0 && remove.size === 0) return undefined;
    return [...new Set([...(current ?? []), ...add])].filter((s) => !remove.has(s));
  }
  const inMenu = selectedMany(values, SERVER_PICKER.servers);
  return inMenu.length ? inMenu : selectedMany(values, SERVER_PICKER.servers, ACTIONS.serverOptions);
}

/** An options load: names containing what was typed, the closest first, at most 100. */
export function matchingOptions(names: { name: string; label?: string }[], query: string): { options: types.PlainTextOption[] } {
  const q = query.trim().toLowerCase();
  const hits = names.filter((n) => n.name.toLowerCase().includes(q) || (n.label ?? '').toLowerCase().includes(q));
  hits.sort((a, b) => Number(!a.name.toLowerCase().startsWith(q)) - Number(!b.name.toLowerCase().startsWith(q)) || a.name.localeCompare(b.name, 'en', { numeric: true }));
  return { options: hits.slice(0, LIMITS.optionsPerMenu).map((n) => option(n.label ?? n.name, n.name)) };
}
