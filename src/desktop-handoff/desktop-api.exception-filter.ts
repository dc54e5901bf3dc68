import { ArgumentsHost, BadRequestException, Catch, HttpStatus } from '@nestjs/common';
import { DomainException } from '../common/domain.exception.js';
import { AppExceptionFilter } from '../common/exception.filter.js';

/**
 * Gives a malformed request body the stable code `invalid_request` (OAuth's name for it), so a
 * Studio can tell it apart from a refused grant; everything else is answered as anywhere else.
 */
@Catch()
export class DesktopApiExceptionFilter extends AppExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof BadRequestException) {
      const response = exception.getResponse();
      const message = typeof response === 'object' && response !== null && 'message' in response ? (response as { message: unknown }).message : exception.message;
      super.catch(new DomainException('invalid_request', HttpStatus.BAD_REQUEST, [message].flat().map(String).join('; ')), host);
      return;
    }
    super.catch(exception, host);
  }
}
