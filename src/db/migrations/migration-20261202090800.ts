import { DialectMigration, portFromSqlite } from './dialect-migration.js';

/**
 * Task ownership (issue 10): owner and lease columns, the store-enforced "one running task per
 * project" (and one open rollback / retry) as unique partial indexes, and the per-server history of
 * live releases that rollbacks follow.
 */
export class Migration20261202090800 extends DialectMigration {

  sqlite(): string[] {
    return [
      `create table \`release_history\` (\`id\` integer not null primary key autoincrement, \`project_id\` integer not null, \`server_id\` integer not null, \`seq\` integer not null, \`release_id\` text not null, \`task_id\` integer null, \`pushed_at\` datetime not null, \`popped_by_task\` integer null, \`popped_at\` datetime null, constraint \`release_history_project_id_foreign\` foreign key(\`project_id\`) references \`projects\`(\`id\`) on delete cascade on update cascade, constraint \`release_history_server_id_foreign\` foreign key(\`server_id\`) references \`servers\`(\`id\`) on delete cascade on update cascade);`,
      `create index \`release_history_project_id_index\` on \`release_history\` (\`project_id\`);`,
      `create index \`release_history_server_id_index\` on \`release_history\` (\`server_id\`);`,
      `create unique index \`release_history_project_id_server_id_seq_unique\` on \`release_history\` (\`project_id\`, \`server_id\`, \`seq\`);`,
      `alter table \`deploy_tasks\` add column \`owner_id\` text null;`,
      `alter table \`deploy_tasks\` add column \`lease_expires_at\` datetime null;`,
      `alter table \`deploy_tasks\` add column \`stop_reason\` text null;`,
      `alter table \`deploy_tasks\` add column \`rollback_of\` integer null;`,
      `alter table \`deploy_tasks\` add column \`from_release\` text null;`,
      `create index \`deploy_tasks_lease_expires_at_index\` on \`deploy_tasks\` (\`lease_expires_at\`);`,
      // Rows an older version may have left that the new indexes would refuse: keep the newest of each.
      `update deploy_tasks set status = 'interrupted', error = 'found running beside another task of its project when upgrading' where status = 'running' and id not in (select max(id) from deploy_tasks where status = 'running' group by project_id);`,
      `update deploy_tasks set status = 'cancelled', error = 'a newer rollback of this project was pending when upgrading' where kind = 'rollback' and status in ('pending', 'awaiting_approval', 'approved', 'scheduled') and id not in (select max(id) from deploy_tasks where kind = 'rollback' and status in ('pending', 'awaiting_approval', 'approved', 'scheduled', 'running') group by project_id);`,
      `update deploy_tasks set status = 'cancelled', error = 'a newer retry of this project was pending when upgrading' where retry_of is not null and status in ('pending', 'awaiting_approval', 'approved', 'scheduled') and id not in (select max(id) from deploy_tasks where retry_of is not null and status in ('pending', 'awaiting_approval', 'approved', 'scheduled', 'running') group by project_id);`,
      `create unique index deploy_tasks_one_running_per_project on deploy_tasks (project_id) where status = 'running';`,
      `create unique index deploy_tasks_one_open_rollback_per_project on deploy_tasks (project_id) where kind = 'rollback' and status in ('pending', 'awaiting_approval', 'approved', 'scheduled', 'running');`,
      `create unique index deploy_tasks_one_open_retry_per_project on deploy_tasks (project_id) where retry_of is not null and status in ('pending', 'awaiting_approval', 'approved', 'scheduled', 'running');`,
      // What is live today starts each server's history.
      `insert into release_history (project_id, server_id, seq, release_id, task_id, pushed_at) select project_id, server_id, 1, release_id, task_id, created_at from releases where is_current = true;`,
    ];
  }

  postgresql(): string[] {
    return this.sqlite().map(portFromSqlite);
  }
}
