import { ApiProperty } from '@nestjs/swagger';
import type { User } from '../../users/user.entity.js';

export class DesktopUserDto {
  @ApiProperty({ format: 'uuid', example: '9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f' })
  id: string;

  @ApiProperty({ example: 'dev@example.com' })
  email: string;

  @ApiProperty({ example: 'Dev Eloper' })
  displayName: string;

  static from(user: User): DesktopUserDto {
    return { id: user.id, email: user.email, displayName: user.displayName };
  }
}

export class DesktopTokenResponseDto {
  @ApiProperty({ example: 'fdst_Qm9hcmQgb2YgZGlyZWN0b3JzIG1lZXRpbmcgbWludXRlcw', description: 'Opaque; send it as Authorization: Bearer.' })
  accessToken: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  tokenType: 'Bearer';

  @ApiProperty({ example: 3600, description: 'Seconds until the access token expires.' })
  expiresIn: number;

  @ApiProperty({ example: 'fdsr_c2VjcmV0LXJlZnJlc2gtdG9rZW4tZXhhbXBsZS12YWx1ZQ', description: 'Opaque, works once at POST /api/desktop/token/refresh.' })
  refreshToken: string;

  @ApiProperty({ example: 2592000, description: 'Seconds the refresh token stays usable; each refresh starts it again.' })
  refreshExpiresIn: number;

  @ApiProperty({ type: DesktopUserDto })
  user: DesktopUserDto;
}
