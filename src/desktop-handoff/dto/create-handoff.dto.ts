import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { S256_CHALLENGE } from '../pkce.js';
import { STUDIO_CLIENTS, type StudioClient } from '../studio-clients.js';

export class CreateHandoffDto {
  @ApiProperty({ enum: STUDIO_CLIENTS, example: 'service-studio' })
  @IsIn(STUDIO_CLIENTS, { message: `client must be one of ${STUDIO_CLIENTS.join(', ')}` })
  client: StudioClient;

  @ApiProperty({
    example: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    description: 'PKCE (RFC 7636): BASE64URL(SHA-256(codeVerifier)), 43 characters.',
  })
  @IsString()
  @Matches(S256_CHALLENGE, { message: 'codeChallenge must be the 43-character base64url SHA-256 of the code verifier' })
  codeChallenge: string;

  @ApiProperty({ enum: ['S256'], example: 'S256', description: 'Only S256; plain is refused.' })
  @IsIn(['S256'], { message: 'codeChallengeMethod must be S256 (plain is not accepted)' })
  codeChallengeMethod: 'S256';

  @ApiPropertyOptional({
    example: 'http://127.0.0.1:51234/callback',
    description:
      'Without it, the client\'s registered custom scheme (servicestudio://auth, integrationstudio://auth). Otherwise a loopback URL: http://127.0.0.1:<port>/<path> or http://[::1]:<port>/<path>.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  redirectUri?: string;
}
