/** Every admin API route, in the order the OpenAPI document lists them. */
import type { AdminRoute } from './route.js';
import { apiRoutes } from './routes/apis.js';
import { clientRoutes } from './routes/clients.js';
import { connectionRoutes } from './routes/connections.js';
import { eventRoutes } from './routes/events.js';
import { grantRoutes } from './routes/grants.js';
import { keyRoutes } from './routes/keys.js';
import { sessionRoutes } from './routes/sessions.js';
import { settingsRoutes } from './routes/settings.js';
import { userRoutes } from './routes/users.js';

export function adminRoutes(): AdminRoute[] {
  return [...clientRoutes, ...userRoutes, ...apiRoutes, ...grantRoutes, ...sessionRoutes, ...keyRoutes, ...eventRoutes, ...settingsRoutes, ...connectionRoutes];
}
