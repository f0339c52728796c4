import { INPUT } from '../ids.js';

/**
 * Reading a submitted view's `state.values` (`{ [block_id]: { [action_id]: value } }`), loosely
 * typed so that Bolt's ViewOutput and a test's hand-made payload both fit. Missing blocks read as
 * undefined; inputs left empty come back as null from Slack and read as undefined here too.
 */
export type StateValue = {
  type?: string;
  value?: string | null;
  selected_option?: { value: string } | null;
  selected_options?: { value: string }[];
  selected_users?: string[];
  selected_conversation?: string | null;
  selected_date_time?: number | null;
};
export type StateValues = Record<string, Record<string, StateValue>>;

function at(values: StateValues, blockId: string, actionId: string): StateValue | undefined {
  return values[blockId]?.[actionId];
}

export const hasBlock = (values: StateValues, blockId: string): boolean => values[blockId] !== undefined;

/** A text or number input's value, trimmed; undefined when empty. */
export function text(values: StateValues, blockId: string, actionId: string = INPUT): string | undefined {
  const v = at(values, blockId, actionId)?.value;
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

/** A multiline input's value exactly as typed (scripts keep their whitespace); '' when empty. */
export function rawText(values: StateValues, blockId: string, actionId: string = INPUT): string {
  const v = at(values, blockId, actionId)?.value;
  return typeof v === 'string' ? v : '';
}

export function selected(values: StateValues, blockId: string, actionId: string = INPUT): string | undefined {
  return at(values, blockId, actionId)?.selected_option?.value ?? undefined;
}

export function selectedMany(values: StateValues, blockId: string, actionId: string = INPUT): string[] {
  return (at(values, blockId, actionId)?.selected_options ?? []).map((o) => o.value);
}

export function users(values: StateValues, blockId: string, actionId: string = INPUT): string[] {
  return [...(at(values, blockId, actionId)?.selected_users ?? [])];
}

export function conversation(values: StateValues, blockId: string, actionId: string = INPUT): string | undefined {
  return at(values, blockId, actionId)?.selected_conversation ?? undefined;
}

/** A datetimepicker's value as a Date (Slack sends unix seconds). */
export function dateTime(values: StateValues, blockId: string, actionId: string = INPUT): Date | undefined {
  const v = at(values, blockId, actionId)?.selected_date_time;
  return typeof v === 'number' && Number.isFinite(v) ? new Date(v * 1000) : undefined;
}

/** Comma/space separated words. */
export function list(values: StateValues, blockId: string, actionId: string = INPUT): string[] {
  return (text(values, blockId, actionId) ?? '').split(/[\s,]+/).filter(Boolean);
}
