import { EntitySchema, type OptionalProps } from '@mikro-orm/core';

/** Who did what to which thing, and when. Written by the services for every change. */
export class AuditEvent {
  /** Properties with defaults: optional when creating. */
  declare [OptionalProps]?: 'details' | 'createdAt';
  id!: number;
  actor!: string;
  action!: string;
  target!: string;
  details: Record<string, unknown> = {};
  createdAt: Date = new Date();
}

export const AuditEventSchema = new EntitySchema<AuditEvent>({
  class: AuditEvent,
  tableName: 'audit_events',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    actor: { type: 'string', length: 64 },
    action: { type: 'string', length: 64, index: true },
    target: { type: 'string', length: 128, index: true },
    details: { type: 'json' },
    createdAt: { type: 'datetime', onCreate: () => new Date() },
  },
});
