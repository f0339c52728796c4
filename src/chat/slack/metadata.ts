import { z } from 'zod';

/**
 * What a modal remembers between opening and submission (`private_metadata`, ≤ 3000 chars):
 * where it was opened and what it is about. Slack hands it back verbatim inside a signed request;
 * it is context, never authority (the services check every permission again).
 */
const metadataSchema = z.object({
  channel: z.string().max(32).optional(),
  name: z.string().max(100).optional(),
  taskId: z.number().int().positive().optional(),
});
export type ViewMetadata = z.infer<typeof metadataSchema>;

export function encodeMetadata(metadata: ViewMetadata): string {
  return JSON.stringify(metadata);
}

/** The metadata of a view, or `{}` when it is missing or not ours. */
export function decodeMetadata(raw: string | undefined | null): ViewMetadata {
  if (!raw) return {};
  try {
    const parsed = metadataSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}
