/**
 * Block Kit as strictly as Slack checks it (docs.slack.dev/reference/block-kit), so a message or
 * view the stand-in accepts is one Slack would accept. Returns Slack-style error lines
 * (`[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]`), empty when
 * valid. Only the rules deploybot can break are checked, but those exactly.
 */

type Json = Record<string, unknown>;

export interface BlockRules {
  /** 50 in messages, 100 in modals and App Home. */
  maxBlocks: number;
}

export const MESSAGE_RULES: BlockRules = { maxBlocks: 50 };
export const VIEW_RULES: BlockRules = { maxBlocks: 100 };

/** chat.postMessage refuses `text` over 40,000 characters with msg_too_long. */
export const MESSAGE_TEXT_MAX = 40_000;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const length = (v: unknown): number => (typeof v === 'string' ? [...v].length : 0);

class Checker {
  readonly errors: string[] = [];
  /** Slack: an action_id is unique among the action_ids of its containing block. */
  private actionIds = new Set<string>();
  private readonly blockIds = new Set<string>();

  fail(message: string, pointer: string): void {
    this.errors.push(`[ERROR] ${message} [json-pointer:${pointer}]`);
  }

  /** A text object: plain_text or mrkdwn, non-empty, at most `max` characters. */
  text(value: unknown, pointer: string, max: number, only?: 'plain_text'): void {
    if (!isObject(value)) return this.fail('must be a text object', pointer);
    if (value.type !== 'plain_text' && value.type !== 'mrkdwn') return this.fail('must be a valid enum value', `${pointer}/type`);
    if (only && value.type !== only) return this.fail(`must be a ${only} text object`, `${pointer}/type`);
    if (typeof value.text !== 'string' || value.text.length === 0) return this.fail('must be more than 0 characters', `${pointer}/text`);
    if (length(value.text) > max) this.fail(`must be less than ${max + 1} characters`, `${pointer}/text`);
  }

  maxString(value: unknown, pointer: string, max: number, required = false): void {
    if (value === undefined && !required) return;
    if (typeof value !== 'string' || (required && value === '')) return this.fail('must be a non-empty string', pointer);
    if (length(value) > max) this.fail(`must be less than ${max + 1} characters`, pointer);
  }

  actionId(element: Json, pointer: string): void {
    const id = element.action_id;
    if (id === undefined) return;
    this.maxString(id, `${pointer}/action_id`, 255, true);
    if (typeof id !== 'string') return;
    if (this.actionIds.has(id)) this.fail(`action_id "${id}" is already used`, `${pointer}/action_id`);
    this.actionIds.add(id);
  }

  option(option: unknown, pointer: string): void {
    if (!isObject(option)) return this.fail('must be an option object', pointer);
    this.text(option.text, `${pointer}/text`, 75);
    this.maxString(option.value, `${pointer}/value`, 150, true);
    if (option.description !== undefined) this.text(option.description, `${pointer}/description`, 75, 'plain_text');
  }

  options(list: unknown, pointer: string, max = 100): void {
    if (!Array.isArray(list)) return this.fail('must be an array', pointer);
    if (list.length === 0) this.fail('must provide at least 1 item', pointer);
    if (list.length > max) this.fail(`must provide no more than ${max} items`, pointer);
    list.forEach((o, i) => this.option(o, `${pointer}/${i}`));
  }

  confirm(value: unknown, pointer: string): void {
    if (value === undefined) return;
    if (!isObject(value)) return this.fail('must be a confirm object', pointer);
    this.text(value.title, `${pointer}/title`, 100, 'plain_text');
    this.text(value.text, `${pointer}/text`, 300);
    this.text(value.confirm, `${pointer}/confirm`, 30, 'plain_text');
    this.text(value.deny, `${pointer}/deny`, 30, 'plain_text');
  }

  element(element: unknown, pointer: string): void {
    if (!isObject(element)) return this.fail('must be an element object', pointer);
    this.actionId(element, pointer);
    if (element.placeholder !== undefined) this.text(element.placeholder, `${pointer}/placeholder`, 150, 'plain_text');
    this.confirm(element.confirm, `${pointer}/confirm`);
    switch (element.type) {
      case 'button':
        this.text(element.text, `${pointer}/text`, 75, 'plain_text');
        this.maxString(element.value, `${pointer}/value`, 2000);
        this.maxString(element.url, `${pointer}/url`, 3000);
        if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger') this.fail('must be a valid enum value', `${pointer}/style`);
        return;
      case 'static_select':
      case 'multi_static_select':
      case 'radio_buttons':
      case 'checkboxes':
        if (element.option_groups !== undefined) {
          const groups = element.option_groups as unknown[];
          if (!Array.isArray(groups) || groups.length > 100) this.fail('must provide no more than 100 items', `${pointer}/option_groups`);
          else groups.forEach((g, i) => this.options((g as Json).options, `${pointer}/option_groups/${i}/options`));
        } else {
          this.options(element.options, `${pointer}/options`, element.type === 'radio_buttons' || element.type === 'checkboxes' ? 10 : 100);
        }
        if (element.initial_option !== undefined) this.option(element.initial_option, `${pointer}/initial_option`);
        if (Array.isArray(element.initial_options)) element.initial_options.forEach((o, i) => this.option(o, `${pointer}/initial_options/${i}`));
        return;
      case 'external_select':
      case 'multi_external_select':
        if (element.initial_option !== undefined) this.option(element.initial_option, `${pointer}/initial_option`);
        if (Array.isArray(element.initial_options)) element.initial_options.forEach((o, i) => this.option(o, `${pointer}/initial_options/${i}`));
        return;
      case 'plain_text_input': {
        const max = element.max_length;
        if (max !== undefined && (typeof max !== 'number' || max < 1 || max > 3000)) this.fail('must be at most 3000', `${pointer}/max_length`);
        this.maxString(element.initial_value, `${pointer}/initial_value`, typeof max === 'number' ? Math.min(max, 3000) : 3000);
        return;
      }
      default:
        return;
    }
  }

  block(block: unknown, pointer: string): void {
    if (!isObject(block)) return this.fail('must be a block object', pointer);
    this.actionIds = new Set();
    if (block.block_id !== undefined) {
      this.maxString(block.block_id, `${pointer}/block_id`, 255, true);
      if (typeof block.block_id === 'string') {
        if (this.blockIds.has(block.block_id)) this.fail(`block_id "${block.block_id}" is already used`, `${pointer}/block_id`);
        this.blockIds.add(block.block_id);
      }
    }
    switch (block.type) {
      case 'section': {
        if (block.text === undefined && block.fields === undefined) return this.fail('must provide either text or fields', pointer);
        if (block.text !== undefined) this.text(block.text, `${pointer}/text`, 3000);
        if (block.fields !== undefined) {
          const fields = block.fields as unknown[];
          if (!Array.isArray(fields) || fields.length === 0) return this.fail('must provide at least 1 item', `${pointer}/fields`);
          if (fields.length > 10) this.fail('must provide no more than 10 items', `${pointer}/fields`);
          fields.forEach((f, i) => this.text(f, `${pointer}/fields/${i}`, 2000));
        }
        if (block.accessory !== undefined) this.element(block.accessory, `${pointer}/accessory`);
        return;
      }
      case 'header':
        return this.text(block.text, `${pointer}/text`, 150, 'plain_text');
      case 'context': {
        const elements = block.elements as unknown[];
        if (!Array.isArray(elements) || elements.length === 0) return this.fail('must provide at least 1 item', `${pointer}/elements`);
        if (elements.length > 10) this.fail('must provide no more than 10 items', `${pointer}/elements`);
        elements.forEach((e, i) => {
          if (isObject(e) && e.type === 'image') return;
          this.text(e, `${pointer}/elements/${i}`, 3000);
        });
        return;
      }
      case 'actions': {
        const elements = block.elements as unknown[];
        if (!Array.isArray(elements) || elements.length === 0) return this.fail('must provide at least 1 item', `${pointer}/elements`);
        if (elements.length > 25) this.fail('must provide no more than 25 items', `${pointer}/elements`);
        elements.forEach((e, i) => this.element(e, `${pointer}/elements/${i}`));
        return;
      }
      case 'input':
        this.text(block.label, `${pointer}/label`, 2000, 'plain_text');
        if (block.hint !== undefined) this.text(block.hint, `${pointer}/hint`, 2000, 'plain_text');
        return this.element(block.element, `${pointer}/element`);
      case 'divider':
      case 'image':
      case 'file':
      case 'rich_text':
      case 'video':
        return;
      default:
        return this.fail('must be a valid enum value', `${pointer}/type`);
    }
  }
}

/** Errors in a list of blocks (a message's, or a view's). */
export function blockErrors(blocks: unknown, rules: BlockRules, pointer = '/blocks'): string[] {
  const checker = new Checker();
  if (!Array.isArray(blocks)) {
    checker.fail('must be an array', pointer);
    return checker.errors;
  }
  if (blocks.length > rules.maxBlocks) checker.fail(`must provide no more than ${rules.maxBlocks} items`, pointer);
  blocks.forEach((b, i) => checker.block(b, `${pointer}/${i}`));
  return checker.errors;
}

/** Errors in a modal or home view (views.open/push/update/publish). */
export function viewErrors(view: unknown): string[] {
  if (!isObject(view)) return ['[ERROR] must be a view object [json-pointer:/view]'];
  const checker = new Checker();
  if (view.type === 'modal') {
    checker.text(view.title, '/view/title', 24, 'plain_text');
    if (view.submit !== undefined) checker.text(view.submit, '/view/submit', 24, 'plain_text');
    if (view.close !== undefined) checker.text(view.close, '/view/close', 24, 'plain_text');
  } else if (view.type !== 'home') {
    checker.fail('must be a valid enum value', '/view/type');
  }
  checker.maxString(view.private_metadata, '/view/private_metadata', 3000);
  checker.maxString(view.callback_id, '/view/callback_id', 255);
  checker.maxString(view.external_id, '/view/external_id', 255);
  return [...checker.errors, ...blockErrors(view.blocks, VIEW_RULES, '/view/blocks')];
}
