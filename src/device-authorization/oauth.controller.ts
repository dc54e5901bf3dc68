import { Body, Controller, Get, Header, HttpCode, HttpStatus, Inject, Post, UseFilters } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/decorators.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RateLimited } from '../limits/rate-limit.guard.js';
import { DEVICE_CODE_GRANT, DeviceAuthorizationService, type DeviceAuthorizationResponse, type DeviceTokenResponse } from './device-authorization.service.js';
import { OAuthExceptionFilter } from './oauth.exception-filter.js';

/**
 * RFC 8628's endpoints with RFC 6749's form bodies and JSON answers, so a generic device-flow
 * client works unchanged. Bodies are read as plain records: the RFC's error codes, not the
 * validation pipe's, must answer a malformed one.
 */
@ApiTags('OAuth device authorization (RFC 8628)')
@Controller()
@UseFilters(OAuthExceptionFilter)
export class OAuthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly devices: DeviceAuthorizationService,
  ) {}

  @Public()
  @Post('oauth/device_authorization')
  @RateLimited('device-authorize')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({ summary: 'Device authorization request (form: client_id = service-studio | integration-studio | cli, scope?)' })
  authorize(@Body() body: Record<string, unknown> | undefined): Promise<DeviceAuthorizationResponse> {
    return this.devices.start(body ?? {});
  }

  @Public()
  @Post('oauth/token')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({ summary: `Token request, grant_type=${DEVICE_CODE_GRANT} (form: device_code, client_id)` })
  token(@Body() body: Record<string, unknown> | undefined): Promise<DeviceTokenResponse> {
    return this.devices.grant(body ?? {});
  }

  /** RFC 8414 metadata, so clients discover the endpoints from the issuer alone. */
  @Public()
  @Get('.well-known/oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Authorization server metadata (RFC 8414)' })
  metadata(): Record<string, unknown> {
    const at = (path: string) => new URL(path, this.config.publicUrl).toString();
    return {
      issuer: this.config.publicUrl.origin,
      device_authorization_endpoint: at('/oauth/device_authorization'),
      token_endpoint: at('/oauth/token'),
      jwks_uri: at('/.well-known/jwks.json'),
      grant_types_supported: [DEVICE_CODE_GRANT],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ['none'],
    };
  }
}
