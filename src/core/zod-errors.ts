import type { z } from 'zod';
import { UserError } from '../errors.js';

/**
 * Turns a zod failure into a UserError whose message lists every problem and whose `fields`
 * map lets a modal show each message beside its input.
 */
export function toUserError(error: z.ZodError, subject: string): UserError {
  const fields: Record<string, string> = {};
  const lines: string[] = [];
  for (const issue of error.issues) {
    const field = issue.path.map(String).join('.') || 'input';
    if (!fields[field]) fields[field] = issue.message;
    lines.push(issue.message);
  }
  const unique = [...new Set(lines)];
  const message = unique.length === 1 ? `Cannot ${subject}: ${unique[0]}.` : `Cannot ${subject}:\n${unique.map((l) => `• ${l}`).join('\n')}`;
  return new UserError(message, fields);
}

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, subject: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw toUserError(result.error, subject);
  return result.data;
}
