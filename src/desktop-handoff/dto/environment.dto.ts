import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class EnvironmentProviderDto {
  @ApiProperty({ example: 'default' })
  id: string;

  @ApiProperty({ example: 'login.example.com' })
  displayName: string;
}

export class EnvironmentProviderStateDto extends EnvironmentProviderDto {
  @ApiProperty({ example: true, description: "Whether the provider passes its Test (discovery, issuer, endpoints, JWKS, client)." })
  ready: boolean;

  @ApiPropertyOptional({ example: 'client client_rejected: The token endpoint refused client "front-door" (invalid_client)…', description: 'Only when ready is false.' })
  reason?: string;
}

export class EnvironmentAuthenticationDto {
  @ApiProperty({ enum: ['external-idp'], example: 'external-idp' })
  mode: 'external-idp';

  @ApiProperty({ example: true, description: 'Whether a login through the provider can work right now.' })
  ready: boolean;

  @ApiPropertyOptional({ example: 'provider unreachable: fetch failed', description: 'Only when ready is false.' })
  reason?: string;

  @ApiProperty({ type: EnvironmentProviderDto, description: 'The provider offered first.' })
  provider: EnvironmentProviderDto;

  @ApiProperty({ type: [EnvironmentProviderStateDto], description: 'Every enabled provider; the browser offers a chooser when there are several.' })
  providers: EnvironmentProviderStateDto[];
}

export class EnvironmentDto {
  @ApiProperty({ example: 'dev.example.com' })
  name: string;

  @ApiProperty({ type: EnvironmentAuthenticationDto })
  authentication: EnvironmentAuthenticationDto;
}
