import { HttpStatus } from '@nestjs/common';
import { DomainException } from '../common/domain.exception.js';
import { User, type Role } from './user.entity.js';
import type { NewUser } from './users.service.js';

export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** An email address as users hold it: trimmed, lower-cased; anything else is 400 invalid_email. */
export function checkEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (!EMAIL.test(email)) throw new DomainException('invalid_email', HttpStatus.BAD_REQUEST, `"${raw}" is not an email address`);
  return email;
}

/** A new user's columns: the email checked and lower-cased, a display name, roles (developer unless given). */
export function newUserFields(input: NewUser): Pick<User, 'email' | 'displayName' | 'roles' | 'active' | 'provisionedBy'> {
  const email = checkEmail(input.email);
  return { email, displayName: input.displayName?.trim() || email.split('@')[0], roles: [...new Set<Role>(input.roles ?? ['developer'])], active: true, provisionedBy: input.provisionedBy ?? null };
}

/** A users row as a statement's RETURNING gives it (no break-glass hash: it is never loaded with a user). */
export interface UserRow {
  id: string;
  email: string;
  display_name: string;
  roles: Role[];
  active: boolean;
  sessions_revoked_at: Date | null;
  provisioned_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export function userOfRow(row: UserRow): User {
  return Object.assign(new User(), {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    roles: row.roles,
    active: row.active,
    sessionsRevokedAt: row.sessions_revoked_at,
    provisionedBy: row.provisioned_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}
