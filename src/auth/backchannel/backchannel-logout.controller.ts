import { ArgumentsHost, Body, Catch, Controller, ExceptionFilter, Header, HttpCode, HttpStatus, Logger, Param, Post, UseFilters } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { describeError } from '../../common/exception.filter.js';
import { Public } from '../decorators.js';
import { BackchannelLogoutService } from './backchannel-logout.service.js';

/** Where identity providers post logout tokens: `<prefix>/<providerId>`. */
export const BACKCHANNEL_LOGOUT_PATH = '/auth/backchannel-logout';

const logger = new Logger('BackchannelLogoutExceptionFilter');

/**
 * Back-channel logout answers in OAuth's error shape (`error`, `error_description`) with 400,
 * whatever failed (Back-Channel Logout 1.0 §2.8); nothing was ended. Only a client error's own
 * message is shown; anything else (a database outage included) gets a generic sentence.
 */
function refuseBackchannelLogout(exception: unknown, req: Request, res: Response): void {
  const described = describeError(exception);
  const description = described.status < 500 ? described.body.message : 'The logout token could not be processed';
  const detail = described.logDetail ?? (exception instanceof Error ? exception.message : String(exception));
  logger.warn(`req=${req.id} back-channel logout refused: ${detail || description}`);
  res.status(HttpStatus.BAD_REQUEST).setHeader('Cache-Control', 'no-store').json({ error: 'invalid_request', error_description: description });
}

@Catch()
export class BackchannelLogoutExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    refuseBackchannelLogout(exception, host.switchToHttp().getRequest<Request>(), host.switchToHttp().getResponse<Response>());
  }
}

/**
 * The same answer for a body the parsers refuse (too large, too deep, malformed): their errors
 * never reach the controller's filter, only the application-wide one. Mounted on
 * BACKCHANNEL_LOGOUT_PATH right after the body parsers.
 */
export function backchannelBodyErrors(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(error);
  refuseBackchannelLogout(error, req, res);
}

@ApiTags('auth')
@UseFilters(BackchannelLogoutExceptionFilter)
@Controller(BACKCHANNEL_LOGOUT_PATH)
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
