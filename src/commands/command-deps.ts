import type { AppContext } from '../app-context.js';
import type { DeployCoordinator } from '../core/tasks/deploy-coordinator.js';
import type { PipelineEvents } from '../pipeline/events.js';
import type { GitMirrors } from '../pipeline/git/git.js';
import type { HookSandbox } from '../pipeline/hooks/sandbox/hook-sandbox.js';
import type { ProbeResult, RelayPeer } from '../pipeline/ssh/server-probe.js';
import type { SshTarget } from '../pipeline/ssh/ssh.js';

/** What the command handlers need; built once by the composition root and shared by all adapters. */
export interface CommandDeps {
  app: AppContext;
  coordinator: DeployCoordinator;
  events: PipelineEvents;
  git: GitMirrors;
  /** Where local hooks run; `help` warns when they are refused or unsandboxed. */
  hookSandbox?: HookSandbox;
  probe(target: SshTarget, options?: { peers?: readonly RelayPeer[] }): Promise<ProbeResult>;
  /** Reads a hook script given as @path (shell mode); Slack has no file system to read from. */
  readFile?(path: string): Promise<string>;
  now?(): Date;
}
