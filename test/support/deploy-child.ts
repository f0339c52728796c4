/**
 * A bot process for crash tests: opens the runtime on DEPLOYBOT_DATA_DIR, requests one deploy as
 * the admin, prints `task <id>` and keeps running until it is killed.
 * Usage: node --import tsx test/support/deploy-child.ts <project> <ref>
 */
import { createAppContext } from '../../src/app-context.js';
import { loadConfig } from '../../src/config.js';
import { createRuntime } from '../../src/runtime.js';

const [project, ref] = process.argv.slice(2);
const app = await createAppContext(loadConfig());
const runtime = createRuntime(app);
await runtime.begin();
const outcome = await runtime.executor.run(app.config.admins[0]!, `${project} ${ref}`, { slackEscaped: false });
if (outcome.kind !== 'task') {
  process.stderr.write(`${JSON.stringify(outcome)}\n`);
  process.exit(2);
}
process.stdout.write(`task ${outcome.task.id}\n`);
setInterval(() => {}, 60_000);
