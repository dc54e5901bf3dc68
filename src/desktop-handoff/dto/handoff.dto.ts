import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { HandoffStatus } from '../handoff-ticket.entity.js';
import { STUDIO_CLIENTS, type StudioClient } from '../studio-clients.js';

const HANDOFF_STATUSES: HandoffStatus[] = ['pending', 'authenticated', 'redeemed', 'expired', 'denied'];

export class HandoffCreatedDto {
  @ApiProperty({ format: 'uuid', example: '3b0f8e8e-5d1c-4b0a-9d55-0f1f6c1a2b3c' })
  id: string;

  @ApiProperty({ example: 'https://dev.example.com/desktop/handoff/3b0f8e8e-5d1c-4b0a-9d55-0f1f6c1a2b3c', description: 'The page the Studio opens in the browser.' })
  browserUrl: string;

  @ApiProperty({ example: 'https://dev.example.com/api/desktop/handoffs/3b0f8e8e-5d1c-4b0a-9d55-0f1f6c1a2b3c', description: 'Poll it at `interval` seconds.' })
  statusUrl: string;

  @ApiProperty({ example: '2025-11-29T10:10:00.000Z' })
  expiresAt: string;

  @ApiProperty({ example: 2, description: 'Seconds between two polls of statusUrl.' })
  interval: number;

  @ApiProperty({
    example: 'Waiting to log in from your browser',
    description: 'What the Studio shows meanwhile: "Waiting to log in from your browser" (Service Studio), "Use the Identity Service website to complete the login process" (Integration Studio).',
  })
  message: string;
}

export class HandoffStatusDto {
  @ApiProperty({ format: 'uuid', example: '3b0f8e8e-5d1c-4b0a-9d55-0f1f6c1a2b3c' })
  id: string;

  @ApiProperty({ enum: STUDIO_CLIENTS, example: 'service-studio' })
  client: StudioClient;

  @ApiProperty({ enum: HANDOFF_STATUSES, example: 'pending' })
  status: HandoffStatus;

  @ApiProperty({ example: '2025-11-29T10:10:00.000Z' })
  expiresAt: string;

  @ApiPropertyOptional({
    enum: ['cancelled', 'not_registered', 'login_refused', 'too_many_attempts'],
    description: 'With status `denied`: why. The Studio stops waiting at once and says it.',
  })
  reason?: string;

  @ApiPropertyOptional({ example: 'The sign-in was cancelled in the browser.' })
  reasonMessage?: string;
}
