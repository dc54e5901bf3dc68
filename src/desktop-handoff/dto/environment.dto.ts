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

  @ApiPropertyOptional({ example: 'client_rejected', description: "Only when ready is false: the failed Test step's code. The Test's own message stays in LifeTime and the admin API." })
  reason?: string;

  @ApiPropertyOptional({ example: 'The identity provider does not accept the client settings of this environment. An administrator can see the details in LifeTime.', description: 'Only when ready is false: a sentence naming no URL, host or client.' })
  reasonMessage?: string;
}

export class EnvironmentAuthenticationDto {
  @ApiProperty({ enum: ['external-idp'], example: 'external-idp' })
  mode: 'external-idp';

  @ApiProperty({ example: true, description: 'Whether a login through the provider can work right now.' })
  ready: boolean;

  @ApiPropertyOptional({ example: 'discovery_unreachable', description: "Only when ready is false: a short code (the first failing provider's Test code, `no_provider`, or `test_running`)." })
  reason?: string;

  @ApiPropertyOptional({ example: 'The identity provider could not be reached. An administrator can see the details in LifeTime.', description: 'Only when ready is false: a sentence for the person, naming no URL, host or client.' })
  reasonMessage?: string;

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
