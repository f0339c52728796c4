import { errorOutcome } from '../../commands/command-executor.js';
import type { Logger } from '../../log.js';
import { errorReply, type Reply } from '../../commands/replies/reply.js';

/**
 * The error tiers (errorOutcome, shared with the executor and the shell) for Slack work that does
 * not go through the command executor (forms calling services directly, opening modals).
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
  const outcome = errorOutcome(err, log, { what });
  return { reply: outcome.kind === 'reply' ? outcome.reply : errorReply('Sorry, something went wrong.'), ...(outcome.fields ? { fields: outcome.fields } : {}) };
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
