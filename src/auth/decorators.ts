import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ApiErrorDto } from '../common/api-error.dto.js';
import type { Role } from '../users/user.entity.js';
import { DesktopTokenGuard } from './guards/desktop-token.guard.js';

export const ACCESS_METADATA = 'frontdoor:access';

export interface AccessRule {
  public?: boolean;
  roles?: Role[];
  /** Admin API tokens (Authorization: Bearer) are accepted besides a same-origin session. */
  apiTokens?: boolean;
  /** A browser without a session is sent to the login instead of getting 401. */
  browserLogin?: boolean;
  /**
   * A break-glass session (local password, LifeTime only) may use this route. Everywhere else, public
   * routes included, AccessGuard refuses such a session before the route runs.
   */
  breakGlass?: boolean;
  /** Desktop Studio tokens only; checked by DesktopTokenGuard, which `@DesktopApi()` attaches. */
  desktopToken?: boolean;
  /** SCIM tokens only; checked by the provisioning module's own guard, which its `@ScimApi()` attaches. */
  scimToken?: boolean;
}

/**
 * No authentication at all. Everything else is closed by default (the global AccessGuard). A
 * break-glass session is refused here too, unless `breakGlass` says LifeTime needs the route
 * (logging out, its script, the break-glass form itself).
 */
export const Public = (options: { breakGlass?: boolean } = {}) => SetMetadata(ACCESS_METADATA, { public: true, ...(options.breakGlass && { breakGlass: true }) } satisfies AccessRule);

/** Browser pages: a signed-in session, or a redirect to the identity provider. */
export const BrowserSession = () => SetMetadata(ACCESS_METADATA, { browserLogin: true } satisfies AccessRule);

/** LifeTime's pages: an admin's session, including a break-glass one; without a session, the login. */
export const LifeTimePage = () => SetMetadata(ACCESS_METADATA, { browserLogin: true, roles: ['admin'], breakGlass: true } satisfies AccessRule);

/** Admin API: an admin API token or an admin's same-origin session; the refusals every admin route can give are documented here once. */
export const AdminApi = () =>
  applyDecorators(
    SetMetadata(ACCESS_METADATA, { roles: ['admin'], apiTokens: true } satisfies AccessRule),
    ApiBearerAuth('admin-token'),
    ApiCookieAuth('session'),
    ApiUnauthorizedResponse({ description: '`unauthenticated`: no admin API token and no signed-in session, or a revoked one.', type: ApiErrorDto }),
    ApiForbiddenResponse({ description: '`forbidden`: signed in, but not an active admin, or a session request from another origin.', type: ApiErrorDto }),
  );

/** Desktop Studio API: a desktop token (Authorization: Bearer) and nothing else. */
export const DesktopApi = () =>
  applyDecorators(
    SetMetadata(ACCESS_METADATA, { desktopToken: true } satisfies AccessRule),
    UseGuards(DesktopTokenGuard),
    ApiBearerAuth('desktop-token'),
  );
