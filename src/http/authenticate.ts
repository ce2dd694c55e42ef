import type { RequestHandler } from 'express';
import passport from 'passport';
import type { AuthService } from '../auth/auth-service.js';
import type { Principal } from '../auth/principal.js';
import { Unauthenticated } from '../errors.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // passport's req.user is our Principal
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging: passport's User is kyso's Principal
    interface User extends Principal {}
  }
}

/**
 * Passport with a bearer strategy over kyso's opaque tokens. Returns middleware that
 * requires a valid token (401 problem otherwise) and sets `req.user` to the principal.
 * The token is read from the Authorization header only (api.md "Auth"): passport-http-bearer
 * also takes `?access_token=`, which puts the token in URLs, proxy logs and browser history.
 */
export function bearerAuth(auth: AuthService): { required: RequestHandler; optional: RequestHandler } {
  const instance = new passport.Passport();
  const strategy: passport.Strategy = {
    name: 'bearer',
    authenticate(req) {
      const token = bearerToken(req.headers.authorization);
      if (!token) return this.fail('Bearer', 401);
      auth.authenticate(token).then(
        (principal) => (principal ? this.success(principal) : this.fail('Bearer', 401)),
        (err: unknown) => this.error(err),
      );
    },
  };
  instance.use(strategy);
  const required: RequestHandler = (req, res, next) => {
    instance.authenticate('bearer', { session: false }, (err: unknown, user: Principal | false) => {
      if (err) return next(err);
      if (!user) return next(new Unauthenticated('a valid bearer token is required'));
      req.user = user;
      next();
    })(req, res, next);
  };
  const optional: RequestHandler = (req, res, next) => {
    if (!req.headers.authorization) return next();
    required(req, res, next);
  };
  return { required, optional };
}

/** The bearer token of a request, if it has one. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return match?.[1];
}
