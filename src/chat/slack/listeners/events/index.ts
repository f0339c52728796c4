import type { App } from '@slack/bolt';
import type { SlackDeps } from '../../slack-deps.js';
import { releaseRefs } from '../../../../core/tasks/release-lookup.js';
import { homeView, type HomeProject } from '../../views/home-view.js';

/** The App Home tab is drawn each time a person opens it: what is live, and the recent deploys. */
export function register(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    try {
      await publishHome(deps, client, event.user);
    } catch (err) {
      deps.log.warn('could not draw the App Home tab', { user: event.user, error: String(err) });
    }
  });
}

export async function publishHome(deps: SlackDeps, client: Parameters<Parameters<App['event']>[1]>[0]['client'], userId: string): Promise<void> {
  const data: HomeProject[] = await deps.runtime.app.withServices(async (s) => {
    const projects = await s.projects.list();
    return Promise.all(
      projects.map(async (project) => {
        const live = await s.projects.liveReleases(project.name);
        const recent = await s.tasks.list({ project: project.name, limit: 5 });
        const refs = await releaseRefs(s.em, [...live.map((l) => l.release), ...recent.map((t) => t.releaseId)]);
        return { project, live, recent, refs };
      }),
    );
  });
  await client.views.publish({ user_id: userId, view: homeView(data, deps.runtime.app.config.timezone) as never });
}
