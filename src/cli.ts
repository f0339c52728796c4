/**
 * Entry point of `npm start` and `npx deploybot` (bin/deploybot.mjs):
 * - no arguments: the bot (Slack, or the interactive shell when no Slack tokens are set);
 * - arguments: one command, e.g. `deploybot server list`, `deploybot api v1.2.0` (see CLI_USAGE),
 *   exiting with the codes in EXIT. Imported lazily so a one-shot run never loads the Slack adapter.
 */
const argv = process.argv.slice(2);

if (argv.length === 0) {
  const { main } = await import('./main.js');
  await main();
} else {
  const { runOneShot } = await import('./chat/shell/one-shot/one-shot.js');
  const code = await runOneShot(argv);
  // Leave once everything written has reached the pipe or terminal; lingering sockets must not keep us alive.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
  process.exit(code);
}
