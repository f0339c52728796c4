import type { types } from '@slack/bolt';
import { safeMrkdwn } from '../blocks/mrkdwn.js';
import { LIMITS, truncate } from '../blocks/text.js';
import { INPUT } from '../ids.js';

/** Small Block Kit builders shared by the modal builders. Pure. */

export const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text });
/** Escaped on the way out (blocks/mrkdwn.ts): only the bot's own mentions and links are live. */
export const mrkdwn = (text: string): types.MrkdwnElement => ({ type: 'mrkdwn', text: safeMrkdwn(text) });
export const option = (text: string, value: string): types.PlainTextOption => ({ text: plain(truncate(text, LIMITS.plainOption)), value });

export interface InputOptions {
  optional?: boolean;
  hint?: string;
  dispatchAction?: boolean;
}

export function input(blockId: string, label: string, element: types.InputBlock['element'], options: InputOptions = {}): types.InputBlock {
  return {
    type: 'input',
    block_id: blockId,
    label: plain(label),
    element,
    ...(options.optional ? { optional: true } : {}),
    ...(options.hint ? { hint: plain(truncate(options.hint, 2000)) } : {}),
    ...(options.dispatchAction ? { dispatch_action: true } : {}),
  };
}

export interface TextInputOptions extends InputOptions {
  initial?: string | null;
  multiline?: boolean;
  placeholder?: string;
  maxLength?: number;
}

export function textInput(blockId: string, label: string, options: TextInputOptions = {}): types.InputBlock {
  const element: types.PlainTextInput = {
    type: 'plain_text_input',
    action_id: INPUT,
    ...(options.multiline ? { multiline: true } : {}),
    ...(options.initial ? { initial_value: options.initial } : {}),
    ...(options.placeholder ? { placeholder: plain(options.placeholder) } : {}),
    max_length: Math.min(options.maxLength ?? LIMITS.inputMax, LIMITS.inputMax),
  };
  return input(blockId, label, element, options);
}

export function numberInput(blockId: string, label: string, options: InputOptions & { initial?: number; min: number; max: number }): types.InputBlock {
  const element: types.NumberInput = {
    type: 'number_input',
    action_id: INPUT,
    is_decimal_allowed: false,
    min_value: String(options.min),
    max_value: String(options.max),
    ...(options.initial !== undefined ? { initial_value: String(options.initial) } : {}),
  };
  return input(blockId, label, element, options);
}

export function radioInput(blockId: string, label: string, choices: [value: string, text: string][], initial: string, options: InputOptions = {}): types.InputBlock {
  const opts = choices.map(([value, text]) => option(text, value));
  const element: types.RadioButtons = {
    type: 'radio_buttons',
    action_id: INPUT,
    options: opts,
    ...(opts.find((o) => o.value === initial) ? { initial_option: opts.find((o) => o.value === initial)! } : {}),
  };
  return input(blockId, label, element, options);
}

export function context(text: string): types.ContextBlock {
  return { type: 'context', elements: [mrkdwn(truncate(text, LIMITS.contextText))] };
}

export function modal(callbackId: string, title: string, submit: string | null, blocks: types.KnownBlock[], privateMetadata: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: callbackId,
    title: plain(truncate(title, LIMITS.modalTitle)),
    ...(submit ? { submit: plain(truncate(submit, LIMITS.modalTitle)) } : {}),
    close: plain('Cancel'),
    private_metadata: privateMetadata,
    blocks: blocks.slice(0, LIMITS.modalBlocks),
  };
}
