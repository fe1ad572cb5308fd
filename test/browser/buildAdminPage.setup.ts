import { buildAdminPage } from '../../infra/build/buildAdminPage.ts';

/** The browser tests start the runner directly (not through `npm start`): build the page it serves first. */
export default async function setup(): Promise<void> {
  await buildAdminPage();
}
