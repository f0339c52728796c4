import type { EntityManager } from '@mikro-orm/core';
import { AuditEvent } from '../db/entities/index.js';
import type { Actor } from './actor.js';

/**
 * Queues an audit row in the same unit of work as the change it describes, so both are written
 * together or not at all. Details must not contain secrets: callers pass names, not values.
 */
export function audit(em: EntityManager, actor: Actor, action: string, target: string, details: Record<string, unknown> = {}): void {
  const event = em.create(AuditEvent, { actor: actor.id, action, target, details, createdAt: new Date() });
  em.persist(event);
}

export async function recentAudit(em: EntityManager, filter: { target?: string; limit?: number } = {}): Promise<AuditEvent[]> {
  return em.find(AuditEvent, filter.target ? { target: filter.target } : {}, { orderBy: { id: 'desc' }, limit: filter.limit ?? 50 });
}
