import { DialectMigration } from './dialect-migration.js';

/**
 * PostgreSQL: every new task and every status change notifies `deploybot_tasks` with the task id,
 * so replicas waiting for work wake at once (store/task-notifications.ts). SQLite has no
 * notifications: processes there poll, so there is nothing to create.
 */
export class Migration20261202150000 extends DialectMigration {
  sqlite(): string[] {
    return [];
  }

  postgresql(): string[] {
    return [
      `create or replace function deploybot_notify_task() returns trigger language plpgsql as $$ begin perform pg_notify('deploybot_tasks', new.id::text); return new; end $$;`,
      `create trigger deploy_tasks_notify after insert or update of status on deploy_tasks for each row execute function deploybot_notify_task();`,
    ];
  }
}
