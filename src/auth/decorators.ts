import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth } from '@nestjs/swagger';
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
  /** A break-glass session (local password, LifeTime only) may use this route. */
  breakGlass?: boolean;
  /** Desktop Studio tokens only; checked by DesktopTokenGuard, which `@DesktopApi()` attaches. */
  desktopToken?: boolean;
  /** SCIM tokens only; checked by the provisioning module's own guard, which its `@ScimApi()` attaches. */
  scimToken?: boolean;
}

/** No authentication at all. Everything else is closed by default (the global AccessGuard). */
export const Public = () => SetMetadata(ACCESS_METADATA, { public: true } satisfies AccessRule);

/** Browser pages: a signed-in session, or a redirect to the identity provider. */
export const BrowserSession = () => SetMetadata(ACCESS_METADATA, { browserLogin: true } satisfies AccessRule);

/** LifeTime's pages: an admin's session, including a break-glass one; without a session, the login. */
export const LifeTimePage = () => SetMetadata(ACCESS_METADATA, { browserLogin: true, roles: ['admin'], breakGlass: true } satisfies AccessRule);

/** Admin API: an admin API token or an admin's same-origin session. */
export const AdminApi = () =>
  applyDecorators(
    SetMetadata(ACCESS_METADATA, { roles: ['admin'], apiTokens: true } satisfies AccessRule),
    ApiBearerAuth('admin-token'),
    ApiCookieAuth('session'),
  );

/** Desktop Studio API: a desktop token (Authorization: Bearer) and nothing else. */
export const DesktopApi = () =>
  applyDecorators(
    SetMetadata(ACCESS_METADATA, { desktopToken: true } satisfies AccessRule),
    UseGuards(DesktopTokenGuard),
    ApiBearerAuth('desktop-token'),
  );
