import type { RouteModule } from './app.js';

/**
 * Feature route modules, in registration order. Each feature adds its module here;
 * the foundation's own routes (auth, organizations, users, audit, CA certificates) are built in.
 */
export const routeModules: RouteModule[] = [];
