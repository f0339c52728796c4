/**
 * The `view.state.values` Slack sends when a modal is submitted without touching it: every input
 * with its initial value, shaped per element type (docs.slack.dev, view_submission payload).
 * Tests use it to "save a form unchanged" exactly as Slack would.
 */
type Json = Record<string, unknown>;

export function unchangedValues(view: { blocks?: unknown }): Record<string, Record<string, Json>> {
  const values: Record<string, Record<string, Json>> = {};
  for (const block of (view.blocks as Json[] | undefined) ?? []) {
    if (block.type !== 'input') continue;
    const e = block.element as Json;
    const id = String(e.action_id);
    let state: Json;
    switch (e.type) {
      case 'plain_text_input':
      case 'number_input':
        state = { type: e.type, value: (e.initial_value as string | undefined) ?? null };
        break;
      case 'static_select':
      case 'external_select':
      case 'radio_buttons':
        state = { type: e.type, selected_option: e.initial_option ?? null };
        break;
      case 'multi_static_select':
      case 'multi_external_select':
      case 'checkboxes':
        state = { type: e.type, selected_options: e.initial_options ?? [] };
        break;
      case 'multi_users_select':
        state = { type: e.type, selected_users: e.initial_users ?? [] };
        break;
      case 'conversations_select':
        state = { type: e.type, selected_conversation: e.initial_conversation ?? null };
        break;
      case 'datetimepicker':
        state = { type: e.type, selected_date_time: e.initial_date_time ?? null };
        break;
      default:
        state = { type: e.type };
    }
    values[String(block.block_id)] = { [id]: state };
  }
  return values;
}
