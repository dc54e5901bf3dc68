import { ArgumentsHost, Body, Catch, Controller, ExceptionFilter, Header, HttpCode, HttpStatus, Logger, Param, Post, UseFilters } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DomainException } from '../../common/domain.exception.js';
import { Public } from '../decorators.js';
import { BackchannelLogoutService } from './backchannel-logout.service.js';

/** Back-channel logout answers in OAuth's error shape (`error`, `error_description`), as the specification has it. */
@Catch()
export class BackchannelLogoutExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(BackchannelLogoutExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const known = exception instanceof DomainException && exception.status < 500;
    const description = known ? exception.message : 'The logout token could not be processed';
    const detail = exception instanceof DomainException ? exception.options.logDetail : exception instanceof Error ? exception.message : String(exception);
    this.logger.warn(`req=${req.id} back-channel logout refused: ${detail ?? description}`);
    res.status(HttpStatus.BAD_REQUEST).setHeader('Cache-Control', 'no-store').json({ error: 'invalid_request', error_description: description });
  }
}

@ApiTags('auth')
@UseFilters(BackchannelLogoutExceptionFilter)
@Controller('auth/backchannel-logout')
export class BackchannelLogoutController {
  constructor(private readonly backchannel: BackchannelLogoutService) {}

  @Public()
  @Post(':providerId')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'OpenID Connect Back-Channel Logout 1.0: the identity provider ends its session, and ours with it' })
  @ApiParam({ name: 'providerId', example: 'default' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ schema: { type: 'object', required: ['logout_token'], properties: { logout_token: { type: 'string', description: 'The signed logout token (JWT).' } } } })
  @ApiOkResponse({ description: 'The sessions the token names have ended (or there were none).' })
  @ApiBadRequestResponse({ description: '{"error": "invalid_request", "error_description"}: the token was refused and nothing ended.' })
  async logout(@Param('providerId') providerId: string, @Body() body: Record<string, unknown> | undefined): Promise<void> {
    await this.backchannel.logout(providerId, body?.logout_token);
  }
}
