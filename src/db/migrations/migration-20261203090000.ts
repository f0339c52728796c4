import { DialectMigration, portFromSqlite } from './dialect-migration.js';

/**
 * Canary promotion (issue 16): on a prod project, a canary that passed waits for an approver's
 * Promote before the rest of the fleet switches. The state lives on the task row, so any process
 * may promote a deploy another process runs: when the canary passed (written by the runner), who
 * promoted it and when (one conditional update, one winner), and an admin's reason when they
 * promoted their own deploy. On PostgreSQL the task trigger also fires when a task is promoted, so
 * the runner waiting for it wakes at once (LISTEN/NOTIFY; the poll stays the safety net).
 */
export class Migration20261203090000 extends DialectMigration {
  sqlite(): string[] {
    return [
      `alter table \`deploy_tasks\` add column \`canary_passed_at\` datetime null;`,
      `alter table \`deploy_tasks\` add column \`promoted_by\` text null;`,
      `alter table \`deploy_tasks\` add column \`promoted_at\` datetime null;`,
      `alter table \`deploy_tasks\` add column \`promote_reason\` text null;`,
    ];
  }

  postgresql(): string[] {
    return [
      ...this.sqlite().map(portFromSqlite),
      `drop trigger if exists deploy_tasks_notify on deploy_tasks;`,
      `create trigger deploy_tasks_notify after insert or update of status, promoted_at on deploy_tasks for each row execute function deploybot_notify_task();`,
    ];
  }
}
