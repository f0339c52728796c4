import { DialectMigration, portFromSqlite } from './dialect-migration.js';

/**
 * Release gates (issue 16): a health check per project, run on each server after after_deploy and
 * retried within its timeout; a failing check counts as that server's failure. Canary first: the
 * rollout (`all`, or `canary:<n|p%>`) and how long the canary runs alone before the rest follows.
 */
export class Migration20261202163000 extends DialectMigration {
  sqlite(): string[] {
    return [
      `alter table \`projects\` add column \`health_check\` text not null default '';`,
      `alter table \`projects\` add column \`health_timeout\` integer not null default 30;`,
      `alter table \`projects\` add column \`rollout\` text not null default 'all';`,
      `alter table \`projects\` add column \`canary_wait\` integer not null default 60;`,
    ];
  }

  postgresql(): string[] {
    return this.sqlite().map(portFromSqlite);
  }
}
