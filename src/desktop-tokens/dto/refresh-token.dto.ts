import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class RefreshTokenDto {
  @ApiProperty({ example: 'fdsr_c2VjcmV0LXJlZnJlc2gtdG9rZW4tZXhhbXBsZS12YWx1ZQ', description: 'The refresh token of the last answer; each works once.' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  refreshToken: string;
}
