import type { RouteModule } from './app.js';
import { certificateRoutes } from './http/routes/certificates.js';
import { requestRoutes } from './http/routes/requests.js';
import { trustAnchorRoutes } from './http/routes/trust-anchors.js';
import { revocationRoutes } from './http/routes/revocation.js';
import { statsRoutes } from './http/routes/stats.js';
import { verificationRoutes } from './http/routes/verification.js';
import { tsaRoutes } from './http/routes/tsa.js';
import { signingRoutes } from './http/routes/signing.js';
import { organizationRoutes } from './http/routes/organizations.js';

/**
 * Feature route modules, in registration order. Each feature adds its module here;
 * the foundation's own routes (auth, organizations, users, audit, CA certificates) are built in.
 */
export const routeModules: RouteModule[] = [
  requestRoutes,
  certificateRoutes,
  trustAnchorRoutes,
  statsRoutes,
  revocationRoutes,
  verificationRoutes,
  tsaRoutes,
  signingRoutes,
  organizationRoutes,
];
