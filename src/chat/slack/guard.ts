import { errorMessage, newErrorId, OperationalError, UserError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { errorReply, type Reply } from '../reply.js';

/**
 * The three error tiers (ARCHITECTURE.md, convention 4) for Slack work that does not go through
 * the command executor (forms calling services directly, opening modals): a UserError is the
 * answer itself, with its per-field messages; an OperationalError is logged and explained; anything
 * else is a bug, logged with its stack, and the user gets an apology with an error id.
 *
 * Only the error is logged, never the request: a form's values may hold secrets.
 */
export type Guarded<T> = { ok: true; value: T } | { ok: false; reply: Reply; fields?: Readonly<Record<string, string>> };

export async function guard<T>(log: Logger, what: string, fn: () => Promise<T>): Promise<Guarded<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, ...failure(log, what, err) };
  }
}

export function failure(log: Logger, what: string, err: unknown): { reply: Reply; fields?: Readonly<Record<string, string>> } {
  if (err instanceof UserError) return { reply: errorReply(err.message), fields: err.fields };
  if (err instanceof OperationalError) {
    log.warn(`${what} failed`, { error: err.message });
    return { reply: errorReply(`${err.message}${err.transient ? ' — this looks temporary: try again in a moment.' : ''}`) };
  }
  const id = newErrorId();
  log.error(`${what} crashed`, { errorId: id, err: err instanceof Error ? err : errorMessage(err) });
  return { reply: errorReply(`Sorry, something went wrong on deploybot's side (error id ${id}). The team can find the details in the bot's log.`) };
}

/** Resolves with the work's result if it settles within `ms`, else with `{ done: false }` (the work goes on). */
export async function withinBudget<T>(work: Promise<T>, ms: number): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
  });
  try {
    return await Promise.race([work.then((value) => ({ done: true as const, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
