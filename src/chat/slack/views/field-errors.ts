import { truncate } from '../blocks/text.js';
import { plainText } from '../blocks/mrkdwn.js';

/**
 * Turns a refusal's per-field messages (service field names, zod paths such as `servers.0`) into
 * the `errors` of a `response_action: 'errors'` answer, keyed by the modal's input block ids.
 *
 * Slack rejects the whole answer if a key is not an input block of the view, so a field with no
 * block of its own (or a refusal with no fields at all) is shown on `fallback` instead.
 */
export function fieldErrors(
  message: string,
  fields: Readonly<Record<string, string>> | undefined,
  blocks: Readonly<Record<string, string>>,
  fallback: string,
): Record<string, string> {
  const errors: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const [path, text] of Object.entries(fields ?? {})) {
    const block = blocks[path] ?? blocks[path.split('.')[0]!];
    if (block === undefined) unplaced.push(text);
    else if (errors[block] === undefined) errors[block] = text;
  }
  if (Object.keys(errors).length === 0) errors[fallback] = message;
  else if (unplaced.length > 0) errors[fallback] = errors[fallback] ? `${errors[fallback]}; ${unplaced.join('; ')}` : unplaced.join('; ');
  for (const key of Object.keys(errors)) errors[key] = truncate(plainText(errors[key]!).replace(/^:warning:\s*/, ''), 500);
  return errors;
}

/** The identity map for modals whose block ids are the service's field names. */
export function sameNames(...names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, n]));
}
