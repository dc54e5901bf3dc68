import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { CODE_VERIFIER } from '../pkce.js';

export class RedeemHandoffDto {
  @ApiProperty({ example: 'p0T3yqYqk1cH0z2pVt9tUoQ0hJ7y3Zr8Xb1mC4dE5fA', description: 'The one-time code from the redirect URI.' })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  code: string;

  @ApiProperty({ example: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', description: 'The PKCE code verifier the challenge was made from.' })
  @IsString()
  @Matches(CODE_VERIFIER, { message: 'codeVerifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~' })
  codeVerifier: string;
}
