import { Migration } from '@mikro-orm/migrations';

/**
 * Relay distribution (issue 15): a server's internal address (how its peers reach it, when it
 * differs from the bot's view) and a project's distribution strategy.
 */
export class Migration20261202150000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`servers\` add column \`internal_address\` text null;`);
    this.addSql(`alter table \`projects\` add column \`distribution\` text not null default 'auto';`);
  }

}
