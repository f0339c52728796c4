import { Migration } from '@mikro-orm/migrations';

/**
 * Notices per project (issue 14): how approvers hear of a request (`dm`: mentioned and sent a
 * direct message) and how the requester hears of its outcome (`mention` in the thread).
 */
export class Migration20261202160000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`projects\` add column \`notify_approvers\` text not null default 'dm';`);
    this.addSql(`alter table \`projects\` add column \`notify_requester\` text not null default 'mention';`);
  }

}
