import type { TaskView } from '../../core/views.js';
import type { Reply } from './reply.js';

export type ModalKind = 'deploy' | 'server-add' | 'server-edit' | 'project-add' | 'project-edit' | 'project-hooks';

/** What happened to a task because of a command: adapters post or update its status message. */
export type TaskEvent = 'requested' | 'approved' | 'rejected' | 'cancelled' | 'cancel-requested' | 'retry' | 'rollback' | 'promoted';

export type CommandOutcome =
  /** `touched`: tasks whose status messages this answer changes (a lock holds them, an unlock frees them). */
  | { kind: 'reply'; reply: Reply; touched?: number[] }
  | { kind: 'open-modal'; modal: ModalKind; name?: string }
  | { kind: 'task'; event: TaskEvent; task: TaskView; reply: Reply }
  /** An admin approving their own request must confirm explicitly (Slack: a confirm dialog; shell: `approve N --self`). */
  | { kind: 'confirm-self-approval'; taskId: number; reply: Reply };
