import { DialectMigration, portFromSqlite } from './dialect-migration.js';

/**
 * Notices per project (issue 14): how approvers hear of a request (`dm`: mentioned and sent a
 * direct message) and how the requester hears of its outcome (`mention` in the thread).
 */
export class Migration20261202160000 extends DialectMigration {
  sqlite(): string[] {
    return [
      `alter table \`projects\` add column \`notify_approvers\` text not null default 'dm';`,
      `alter table \`projects\` add column \`notify_requester\` text not null default 'mention';`,
    ];
  }

  postgresql(): string[] {
    return this.sqlite().map(portFromSqlite);
  }
}
