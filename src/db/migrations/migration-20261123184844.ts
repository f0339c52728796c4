import { DialectMigration, portFromSqlite } from './dialect-migration.js';

export class Migration20261123184844 extends DialectMigration {

  sqlite(): string[] {
    return [
      `create table \`audit_events\` (\`id\` integer not null primary key autoincrement, \`actor\` text not null, \`action\` text not null, \`target\` text not null, \`details\` json not null, \`created_at\` datetime not null);`,
      `create index \`audit_events_action_index\` on \`audit_events\` (\`action\`);`,
      `create index \`audit_events_target_index\` on \`audit_events\` (\`target\`);`,
      `create table \`projects\` (\`id\` integer not null primary key autoincrement, \`name\` text not null, \`title\` text not null, \`repo_url\` text not null, \`environment\` text not null default 'test', \`deploy_path\` text not null, \`default_branch\` text not null default 'main', \`keep_releases\` integer not null default 5, \`approvers\` json not null, \`notify_channel\` text null, \`max_parallel\` integer not null default 10, \`on_failure\` text not null default 'rollback', \`hook_before_download\` text not null default '', \`hook_after_download\` text not null default '', \`hook_before_deploy\` text not null default '', \`hook_after_deploy\` text not null default '', \`locked_by\` text null, \`lock_reason\` text null, \`locked_at\` datetime null, \`created_by\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null);`,
      `create unique index \`projects_name_unique\` on \`projects\` (\`name\`);`,
      `create table \`deploy_tasks\` (\`id\` integer not null primary key autoincrement, \`project_id\` integer not null, \`kind\` text not null default 'deploy', \`ref\` text not null, \`commit\` text null, \`status\` text not null default 'pending', \`hook_before_download\` text not null default '', \`hook_after_download\` text not null default '', \`hook_before_deploy\` text not null default '', \`hook_after_deploy\` text not null default '', \`requested_by\` text not null, \`approved_by\` text null, \`approved_at\` datetime null, \`rejected_by\` text null, \`rejected_at\` datetime null, \`reject_reason\` text null, \`cancelled_by\` text null, \`scheduled_at\` datetime null, \`started_at\` datetime null, \`finished_at\` datetime null, \`last_progress_at\` datetime null, \`slack_channel\` text null, \`slack_message_ts\` text null, \`release_id\` text null, \`target_release\` text null, \`retry_of\` integer null, \`only_servers\` json null, \`error\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, constraint \`deploy_tasks_project_id_foreign\` foreign key(\`project_id\`) references \`projects\`(\`id\`) on delete cascade on update cascade);`,
      `create index \`deploy_tasks_project_id_index\` on \`deploy_tasks\` (\`project_id\`);`,
      `create index \`deploy_tasks_status_index\` on \`deploy_tasks\` (\`status\`);`,
      `create table \`servers\` (\`id\` integer not null primary key autoincrement, \`name\` text not null, \`hostname\` text not null, \`port\` integer not null default 22, \`username\` text not null, \`auth_kind\` text not null default 'key', \`key_path\` text null, \`private_key_enc\` text null, \`passphrase_enc\` text null, \`password_enc\` text null, \`host_key_fingerprint\` text null, \`labels\` json not null, \`created_by\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null);`,
      `create unique index \`servers_name_unique\` on \`servers\` (\`name\`);`,
      `create table \`releases\` (\`id\` integer not null primary key autoincrement, \`project_id\` integer not null, \`server_id\` integer not null, \`release_id\` text not null, \`commit\` text not null, \`path\` text not null, \`task_id\` integer null, \`is_current\` integer not null default false, \`created_at\` datetime not null, constraint \`releases_project_id_foreign\` foreign key(\`project_id\`) references \`projects\`(\`id\`) on delete cascade on update cascade, constraint \`releases_server_id_foreign\` foreign key(\`server_id\`) references \`servers\`(\`id\`) on delete cascade on update cascade);`,
      `create index \`releases_project_id_index\` on \`releases\` (\`project_id\`);`,
      `create index \`releases_server_id_index\` on \`releases\` (\`server_id\`);`,
      `create unique index \`releases_project_id_server_id_release_id_unique\` on \`releases\` (\`project_id\`, \`server_id\`, \`release_id\`);`,
      `create table \`project_servers\` (\`project_id\` integer not null, \`server_id\` integer not null, constraint \`project_servers_project_id_foreign\` foreign key(\`project_id\`) references \`projects\`(\`id\`) on delete cascade on update cascade, constraint \`project_servers_server_id_foreign\` foreign key(\`server_id\`) references \`servers\`(\`id\`) on delete cascade on update cascade, primary key (\`project_id\`, \`server_id\`));`,
      `create index \`project_servers_project_id_index\` on \`project_servers\` (\`project_id\`);`,
      `create index \`project_servers_server_id_index\` on \`project_servers\` (\`server_id\`);`,
      `create table \`task_hosts\` (\`id\` integer not null primary key autoincrement, \`task_id\` integer not null, \`server_id\` integer null, \`server_name\` text not null, \`stage\` text null, \`status\` text not null default 'waiting', \`stages\` json not null, \`started_at\` datetime null, \`finished_at\` datetime null, \`exit_code\` integer null, \`output\` text not null default '', \`error\` text null, \`previous_release\` text null, constraint \`task_hosts_task_id_foreign\` foreign key(\`task_id\`) references \`deploy_tasks\`(\`id\`) on delete cascade on update cascade, constraint \`task_hosts_server_id_foreign\` foreign key(\`server_id\`) references \`servers\`(\`id\`) on delete set null on update cascade);`,
      `create index \`task_hosts_task_id_index\` on \`task_hosts\` (\`task_id\`);`,
      `create index \`task_hosts_server_id_index\` on \`task_hosts\` (\`server_id\`);`,
    ];
  }

  postgresql(): string[] {
    // The same tables; SQLite keeps booleans as integers, PostgreSQL has the type.
    return this.sqlite()
      .map(portFromSqlite)
      .map((sql) => sql.replace('"is_current" integer not null default false', '"is_current" boolean not null default false'));
  }
}
