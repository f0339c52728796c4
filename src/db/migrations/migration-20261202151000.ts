import { DialectMigration, portFromSqlite } from './dialect-migration.js';

/**
 * Relay distribution (issue 15): a server's internal address (how its peers reach it, when it
 * differs from the bot's view) and a project's distribution strategy.
 */
export class Migration20261202151000 extends DialectMigration {
  sqlite(): string[] {
    return [
      `alter table \`servers\` add column \`internal_address\` text null;`,
      `alter table \`projects\` add column \`distribution\` text not null default 'auto';`,
    ];
  }

  postgresql(): string[] {
    return this.sqlite().map(portFromSqlite);
  }
}
