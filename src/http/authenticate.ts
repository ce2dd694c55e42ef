import type { RequestHandler } from 'express';
import passport from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import type { AuthService } from '../auth/auth-service.js';
import type { Principal } from '../auth/principal.js';
import { Unauthenticated } from '../errors.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // passport's req.user is our Principal
    interface User extends Principal {}
  }
}

/**
 * Passport with the bearer strategy over kyso's opaque tokens. Returns middleware that
 * requires a valid token (401 problem otherwise) and sets `req.user` to the principal.
 */
export function bearerAuth(auth: AuthService): { required: RequestHandler; optional: RequestHandler } {
  const instance = new passport.Passport();
  instance.use(
    new BearerStrategy((token, done) => {
      auth.authenticate(token).then(
        (principal) => done(null, principal ?? false),
        (err: unknown) => done(err),
      );
    }),
  );
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
