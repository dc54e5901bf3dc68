import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { ArrayUnique, IsArray, IsBoolean, IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import type { LinkedIdentity } from '../../users/linked-identity.entity.js';
import { ROLES, type Role, type User } from '../../users/user.entity.js';

export class CreateUserDto {
  @ApiProperty({ example: 'jane.doe@example.com' })
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(320)
  email: string;

  @ApiPropertyOptional({ example: 'Jane Doe' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  displayName?: string;

  @ApiPropertyOptional({ enum: ROLES, isArray: true, example: ['developer'], description: 'Defaults to ["developer"].' })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(ROLES, { each: true, message: `roles may only hold ${ROLES.join(' and ')}` })
  roles?: Role[];
}

export class UpdateUserDto extends PartialType(PickType(CreateUserDto, ['displayName', 'roles'] as const)) {
  @ApiPropertyOptional({ example: true, description: 'false deactivates the user and ends their sessions.' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

/** What the answers' examples show: one user, as the API returns it. */
export const USER_EXAMPLE = {
  id: '3f1c9a52-7b1e-4c2d-9a8e-5d6f7a8b9c0d',
  email: 'jane.doe@example.com',
  displayName: 'Jane Doe',
  roles: ['developer'],
  active: true,
  createdAt: '2026-11-28T07:30:00.000Z',
  updatedAt: '2026-12-01T09:15:00.000Z',
};

export class UserDto {
  @ApiProperty({ format: 'uuid', example: USER_EXAMPLE.id }) id: string;
  @ApiProperty({ example: USER_EXAMPLE.email }) email: string;
  @ApiProperty({ example: USER_EXAMPLE.displayName }) displayName: string;
  @ApiProperty({ enum: ROLES, isArray: true, example: USER_EXAMPLE.roles }) roles: Role[];
  @ApiProperty({ example: true, description: 'false: deactivated; the user cannot sign in.' }) active: boolean;
  @ApiProperty({ example: USER_EXAMPLE.createdAt }) createdAt: Date;
  @ApiProperty({ example: USER_EXAMPLE.updatedAt }) updatedAt: Date;

  static from(user: User): UserDto {
    return {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      roles: user.roles,
      active: user.active,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
    };
  }
}

/** The answer of DELETE /api/admin/users/{id}: the same user, deactivated. */
export class DeactivatedUserDto extends UserDto {
  @ApiProperty({ example: false, description: 'Always false here: the user is kept, deactivated.' })
  declare active: boolean;
}

export class LinkedIdentityDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'default' }) providerId: string;
  @ApiProperty({ example: 'https://login.example.com/realms/corp' }) issuer: string;
  @ApiProperty({ example: '6f1c2a9e-…', description: 'The subject (sub) at that provider.' }) subject: string;
  @ApiProperty() linkedAt: Date;
  @ApiPropertyOptional({ description: 'When this identity last signed in (its claims were kept then).' }) lastSignInAt?: Date;
}

export class UserDetailDto extends UserDto {
  @ApiProperty({ type: [LinkedIdentityDto], description: 'The provider accounts this user signs in with.' }) identities: LinkedIdentityDto[];
  @ApiPropertyOptional({ example: 'acme-entra', description: 'Set when a provider with roleSource "provider" owns this user\'s roles: they are read-only here.' })
  rolesFromProvider?: string;

  static detail(user: User, identities: LinkedIdentity[], rolesFromProvider?: string): UserDetailDto {
    return {
      ...UserDto.from(user),
      identities: identities.map((identity) => ({
        id: identity.id,
        providerId: identity.providerId,
        issuer: identity.issuer,
        subject: identity.subject,
        linkedAt: identity.linkedAt,
        ...(identity.claimsAt ? { lastSignInAt: identity.claimsAt } : {}),
      })),
      ...(rolesFromProvider ? { rolesFromProvider } : {}),
    };
  }
}
