import { DialectMigration, portFromSqlite } from './dialect-migration.js';

/**
 * Repository URL credentials (issue 13): the full URL of a repository whose URL carries a password
 * or token is stored encrypted here; `repo_url` keeps the masked form. Existing rows are sealed at
 * start (encryption needs the secret key, which SQL does not have).
 */
export class Migration20261202150500 extends DialectMigration {
  sqlite(): string[] {
    return [`alter table \`projects\` add column \`repo_url_enc\` text null;`];
  }

  postgresql(): string[] {
    return this.sqlite().map(portFromSqlite);
  }
}
