import { Migration } from '@mikro-orm/migrations';

/** Freeze windows (issue 16): one-off or recurring times when a project's (or every) deploy waits. */
export class Migration20261202152902 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`freeze_windows\` (\`id\` integer not null primary key autoincrement, \`project_id\` integer null, \`starts_at\` datetime null, \`ends_at\` datetime null, \`cron\` text null, \`duration_seconds\` integer null, \`time_zone\` text not null, \`reason\` text not null, \`created_by\` text not null, \`created_at\` datetime not null, constraint \`freeze_windows_project_id_foreign\` foreign key(\`project_id\`) references \`projects\`(\`id\`) on delete cascade on update cascade);`);
    this.addSql(`create index \`freeze_windows_project_id_index\` on \`freeze_windows\` (\`project_id\`);`);
  }

}
