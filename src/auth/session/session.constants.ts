export const SESSION_STORE = Symbol('SESSION_STORE');
/** The middleware that puts `req.session` on requests (see session.middleware.ts); bootstrap places it. */
export const SESSION_MIDDLEWARE = Symbol('SESSION_MIDDLEWARE');
