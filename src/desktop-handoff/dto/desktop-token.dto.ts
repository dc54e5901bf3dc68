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

  @ApiProperty({ example: 43200, description: 'Seconds until the token expires.' })
  expiresIn: number;

  @ApiProperty({ type: DesktopUserDto })
  user: DesktopUserDto;
}
