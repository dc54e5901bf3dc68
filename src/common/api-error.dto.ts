import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The JSON every /api error has. */
export class ApiErrorDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'invalid_grant', description: 'A stable code: invalid_request, invalid_redirect_uri, invalid_grant, handoff_not_found, invalid_token, …' })
  error: string;

  @ApiProperty({ example: 'This handoff was already redeemed' })
  message: string;

  @ApiPropertyOptional({ type: [String], description: 'With invalid_request from validation: each problem found.', example: ['client must be one of the following values: service-studio, integration-studio'] })
  details?: string[];
}
