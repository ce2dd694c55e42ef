import type { RouteModule } from './app.js';
import { certificateRoutes } from './http/routes/certificates.js';
import { requestRoutes } from './http/routes/requests.js';
import { trustAnchorRoutes } from './http/routes/trust-anchors.js';
import { revocationRoutes } from './http/routes/revocation.js';
import { statsRoutes } from './http/routes/stats.js';
import { adminDashboardRoutes } from './http/routes/admin-dashboard.js';
import { verificationRoutes } from './http/routes/verification.js';
import { tsaRoutes } from './http/routes/tsa.js';
import { signingRoutes } from './http/routes/signing.js';

/**
 * Feature route modules, in registration order. Each feature adds its module here;
 * the foundation's own routes (auth, organizations, users, audit, CA certificates) are built in.
 */
export const routeModules: RouteModule[] = [requestRoutes, certificateRoutes, trustAnchorRoutes, statsRoutes, adminDashboardRoutes, revocationRoutes, verificationRoutes, tsaRoutes, signingRoutes];
