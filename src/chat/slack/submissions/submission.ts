import type { webApi } from '@slack/bolt';
import type { Actor } from '../../../core/actor.js';
import type { ErrorOutcome } from '../../../commands/command-executor.js';
import type { Reply } from '../../../commands/replies/reply.js';
import type { ViewMetadata } from '../metadata.js';
import type { SlackDeps } from '../slack-deps.js';
import { fieldErrors } from '../views/field-errors.js';
import type { StateValues } from '../views/view-state.js';

/**
 * What a form submission comes to:
 * - `invalid`: refused with messages for the form's inputs (`response_action: 'errors'`; Slack keeps
 *   what the user typed), plus the whole refusal in case the form has already closed;
 * - `failed`: refused in a way no input can show (the user is told in the channel);
 * - `done`: accepted; `after` shows the result once the form is closed.
 */
export type Submission =
  | { kind: 'invalid'; errors: Record<string, string>; reply: Reply }
  | { kind: 'failed'; reply: Reply }
  | { kind: 'done'; after: (client: webApi.WebClient) => Promise<void> };

export interface SubmissionContext {
  userId: string;
  actor: Actor;
  values: StateValues;
  metadata: ViewMetadata;
}

export type Submitter = (deps: SlackDeps, context: SubmissionContext) => Promise<Submission>;

/** A refusal (a guarded call's, or an executor's) shown beside the form's inputs. */
export function invalid(refusal: { reply: Reply; fields?: Readonly<Record<string, string>> | undefined }, blocks: Readonly<Record<string, string>>, fallback: string): Submission {
  return { kind: 'invalid', errors: fieldErrors(refusal.reply.text, refusal.fields, blocks, fallback), reply: refusal.reply };
}

/** An executor outcome that is an error reply, as a Submission (undefined when it is not one). */
export function refusedOutcome(outcome: ErrorOutcome, blocks: Readonly<Record<string, string>>, fallback: string): Submission | undefined {
  if (outcome.kind !== 'reply' || !outcome.reply.isError) return undefined;
  return invalid({ reply: outcome.reply, fields: outcome.fields }, blocks, fallback);
}
