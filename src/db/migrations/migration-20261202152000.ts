import { Migration } from '@mikro-orm/migrations';

/**
 * Release gates (issue 16): N-of-M approvals (a project's required approvals, a task's approvals so
 * far) and promotion from a test project (where the commit ran before, an admin's override).
 */
export class Migration20261202152000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`projects\` add column \`required_approvals\` integer not null default 1;`);
    this.addSql(`alter table \`deploy_tasks\` add column \`approvals\` json null;`);
    this.addSql(`alter table \`deploy_tasks\` add column \`approval_count\` integer not null default 0;`);
    // An approval given before this version counts as the one it completed.
    this.addSql(`update deploy_tasks set approval_count = 1 where approved_by is not null;`);
    this.addSql(`alter table \`projects\` add column \`promote_from\` text null;`);
    this.addSql(`alter table \`deploy_tasks\` add column \`promotion\` json null;`);
    this.addSql(`alter table \`deploy_tasks\` add column \`override_reason\` text null;`);
  }

}
