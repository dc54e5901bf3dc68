import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class EnvironmentProviderDto {
  @ApiProperty({ example: 'default' })
  id: string;

  @ApiProperty({ example: 'login.example.com' })
  displayName: string;
}

export class EnvironmentAuthenticationDto {
  @ApiProperty({ enum: ['external-idp'], example: 'external-idp' })
  mode: 'external-idp';

  @ApiProperty({ example: true, description: 'Whether a login through the provider can work right now.' })
  ready: boolean;

  @ApiPropertyOptional({ example: 'provider unreachable: fetch failed', description: 'Only when ready is false.' })
  reason?: string;

  @ApiProperty({ type: EnvironmentProviderDto })
  provider: EnvironmentProviderDto;
}

export class EnvironmentDto {
  @ApiProperty({ example: 'dev.example.com' })
  name: string;

  @ApiProperty({ type: EnvironmentAuthenticationDto })
  authentication: EnvironmentAuthenticationDto;
}
