import { ApiProperty } from '@nestjs/swagger';
import { TOKEN_CLIENTS, type TokenClient } from '../../desktop-handoff/studio-clients.js';

export class ConsoleSessionDto {
  @ApiProperty({ format: 'uuid', description: 'The session’s public id (not its cookie).' })
  id: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', description: 'Within a minute.' })
  lastSeenAt: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;

  @ApiProperty({ nullable: true, type: String, example: '203.0.113.7' })
  ip: string | null;

  @ApiProperty({ nullable: true, type: String })
  userAgent: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'default' })
  providerId: string | null;

  @ApiProperty()
  breakGlass: boolean;
}

export class DesktopTokenSummaryDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: TOKEN_CLIENTS, example: 'service-studio', description: '`cli` for a command-line tool signed in through the device flow.' })
  client: TokenClient;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Within a minute; null until first used.' })
  lastUsedAt: string | null;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
}

export class UserSessionsDto {
  @ApiProperty({ type: [ConsoleSessionDto] })
  consoleSessions: ConsoleSessionDto[];

  @ApiProperty({ type: [DesktopTokenSummaryDto] })
  desktopTokens: DesktopTokenSummaryDto[];
}
