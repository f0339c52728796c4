/** The local console adapter: interactive shell (`startShell`) and one-shot CLI (`runOneShot`). */
export { startShell, PROMPT, type RunningShell, type ShellIO } from './shell.js';
export { runOneShot, type OneShotIO } from './one-shot/one-shot.js';
export { CLI_USAGE, EXIT, parseCliArgs, type CliArgs } from './one-shot/cli-args.js';
export { renderReply, renderInline, type RenderOptions } from './output/render-reply.js';
