import { applyDecorators, Header, SetMetadata, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ACCESS_METADATA, type AccessRule } from '../auth/decorators.js';
import type { AppConfig } from '../config/app-config.js';
import { SCIM_CONTENT_TYPE, ScimExceptionFilter } from './scim-error.js';
import { ScimTokenGuard } from './scim-token.guard.js';

export const SCIM_BASE_PATH = 'scim/v2';

/**
 * SCIM 2.0 routes: a SCIM token (Authorization: Bearer) and nothing else; the global AccessGuard
 * lets ScimTokenGuard decide. Answers are `application/scim+json`, errors SCIM error responses.
 */
export const ScimApi = () =>
  applyDecorators(
    SetMetadata(ACCESS_METADATA, { scimToken: true } satisfies AccessRule),
    UseGuards(ScimTokenGuard),
    UseFilters(ScimExceptionFilter),
    ApiTags('scim'),
    ApiBearerAuth('scim-token'),
    ApiProduces('application/scim+json'),
  );

/** On each SCIM handler: the media type of its answer. */
export const ScimResponse = () => Header('Content-Type', SCIM_CONTENT_TYPE);

/** `<PUBLIC_URL>/scim/v2`: the Tenant URL a directory is given, and the base of every meta.location. */
export function scimBaseUrl(config: AppConfig): string {
  return new URL(SCIM_BASE_PATH, config.publicUrl.toString().replace(/\/?$/, '/')).toString();
}
