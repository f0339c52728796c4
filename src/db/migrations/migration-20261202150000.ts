import { Migration } from '@mikro-orm/migrations';

/**
 * Repository URL credentials (issue 13): the full URL of a repository whose URL carries a password
 * or token is stored encrypted here; `repo_url` keeps the masked form. Existing rows are sealed at
 * start (encryption needs the secret key, which SQL does not have).
 */
export class Migration20261202150000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`projects\` add column \`repo_url_enc\` text null;`);
  }

}
