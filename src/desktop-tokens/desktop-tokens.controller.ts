import { Body, Controller, Header, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/decorators.js';
import { ApiErrorDto } from '../desktop-handoff/dto/api-error.dto.js';
import { DesktopTokenResponseDto } from '../desktop-handoff/dto/desktop-token.dto.js';
import { DesktopTokensService } from './desktop-tokens.service.js';
import { RefreshTokenDto } from './dto/refresh-token.dto.js';

@ApiTags('desktop')
@Controller('api/desktop/token')
export class DesktopTokensController {
  constructor(private readonly tokens: DesktopTokensService) {}

  @Public()
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Trade a refresh token for a new access and refresh token (rotation; a reused refresh token ends its sign-in)' })
  @ApiOkResponse({ type: DesktopTokenResponseDto })
  @ApiBadRequestResponse({ type: ApiErrorDto, description: 'invalid_request (malformed body) or invalid_grant (unknown, expired, reused, user deactivated, provider disabled, signed out).' })
  refresh(@Body() body: RefreshTokenDto): Promise<DesktopTokenResponseDto> {
    return this.tokens.refresh(body.refreshToken);
  }
}
