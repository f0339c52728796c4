import { DialectMigration, portFromSqlite } from './dialect-migration.js';

/**
 * Release gates (issue 16): N-of-M approvals (a project's required approvals, a task's approvals so
 * far) and promotion from a test project (where the commit ran before, an admin's override).
 */
export class Migration20261202152000 extends DialectMigration {
  sqlite(): string[] {
    return [
      `alter table \`projects\` add column \`required_approvals\` integer not null default 1;`,
      `alter table \`deploy_tasks\` add column \`approvals\` json null;`,
      `alter table \`deploy_tasks\` add column \`approval_count\` integer not null default 0;`,
      // An approval given before this version counts as the one it completed.
      `update deploy_tasks set approval_count = 1 where approved_by is not null;`,
      `alter table \`projects\` add column \`promote_from\` text null;`,
      `alter table \`deploy_tasks\` add column \`promotion\` json null;`,
      `alter table \`deploy_tasks\` add column \`override_reason\` text null;`,
    ];
  }

  postgresql(): string[] {
    return this.sqlite().map(portFromSqlite);
  }
}
