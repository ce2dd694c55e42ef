import type { RouteModule } from './app.js';
import { revocationRoutes } from './http/routes/revocation.js';
import { statsRoutes } from './http/routes/stats.js';
import { verificationRoutes } from './http/routes/verification.js';
import { tsaRoutes } from './http/routes/tsa.js';

/**
 * Feature route modules, in registration order. Each feature adds its module here;
 * the foundation's own routes (auth, organizations, users, audit, CA certificates) are built in.
 */
export const routeModules: RouteModule[] = [statsRoutes, revocationRoutes, verificationRoutes, tsaRoutes];
