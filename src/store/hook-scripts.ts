/** The four hook scripts of a project or of one task (the pipeline runs them, the core stores them). */
export interface HookScripts {
  before_download: string;
  after_download: string;
  before_deploy: string;
  after_deploy: string;
}
