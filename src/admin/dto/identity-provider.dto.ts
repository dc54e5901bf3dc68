import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, IsUrl, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { MAX_ROLE_RULES, PROVISIONING_MODES, ROLE_SOURCES, type Provisioning, type RoleSource } from '../../access/role-rules.js';
import { ROLES, type Role } from '../../users/user.entity.js';
import type { ProbeResult, ProbeStep, ProbeStepName } from '../../identity-providers/provider-probe.js';
import type { ProviderView } from '../../identity-providers/identity-providers.service.js';
import { CLIENT_AUTH_METHODS, type ClientAuthMethod } from '../../identity-providers/client-auth.js';

const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false, require_valid_protocol: true };

export class RoleRuleDto {
  @ApiProperty({ example: 'groups', description: 'A claim name or a dotted path (realm_access.roles), read from the ID token and userinfo.' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  claim: string;

  @ApiProperty({ example: 'platform-admins', description: 'Matches when the claim equals it or is an array holding it.' })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  value: string;

  @ApiProperty({ enum: ROLES, example: 'admin' })
  @IsIn(ROLES)
  role: Role;
}

export class CreateIdentityProviderDto {
  @ApiProperty({ example: 'acme-entra', pattern: '^[a-z0-9-]{1,40}$', description: 'Slug; part of the redirect URI <PUBLIC_URL>/auth/callback/<id>. Cannot change later.' })
  @IsString()
  @Matches(/^[a-z0-9-]{1,40}$/, { message: 'id must be 1 to 40 lowercase letters, digits or hyphens' })
  id: string;

  @ApiProperty({ example: 'Acme (Entra ID)', description: 'Shown on the sign-in chooser and to Studios.' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  displayName: string;

  @ApiProperty({ example: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0', description: 'Issuer URL exactly as the provider names itself; discovery is read from <issuer>/.well-known/openid-configuration.' })
  @IsUrl(URL_OPTIONS, { message: 'issuer must be an http(s) URL' })
  @MaxLength(2048)
  issuer: string;

  @ApiProperty({ example: 'front-door' })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  clientId: string;

  @ApiPropertyOptional({
    enum: CLIENT_AUTH_METHODS,
    example: 'private_key_jwt',
    description:
      'How the service authenticates at the token endpoint. Default: client_secret_post. client_secret_post and client_secret_basic need clientSecret; private_key_jwt takes none (the service signs a client assertion with its own key: register `clientJwksUri` or upload the certificate from GET /api/admin/identity-providers/{id}/certificate). Switching to private_key_jwt deletes a stored secret.',
  })
  @IsOptional()
  @IsIn(CLIENT_AUTH_METHODS, { message: `clientAuth must be one of ${CLIENT_AUTH_METHODS.join(', ')}` })
  clientAuth?: ClientAuthMethod;

  @ApiPropertyOptional({ example: 'a-client-secret', writeOnly: true, description: 'Write-only: stored encrypted (AES-256-GCM), never returned; `hasClientSecret` says whether one is set. Needed by client_secret_post and client_secret_basic, refused with private_key_jwt.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  clientSecret?: string;

  @ApiPropertyOptional({ example: ['openid', 'profile', 'email'], description: 'Must include openid. Default: openid profile email.' })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(30)
  @IsString({ each: true })
  scopes?: string[];

  @ApiPropertyOptional({ enum: ['email', 'preferred_username'], example: 'email', description: 'Claim that finds the platform user on a first login. Default: email.' })
  @IsOptional()
  @IsIn(['email', 'preferred_username'])
  matchClaim?: 'email' | 'preferred_username';

  @ApiPropertyOptional({ example: ['acme.com'], description: 'Email domains whose users the chooser sends straight to this provider.' })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  emailDomains?: string[];

  @ApiPropertyOptional({ example: true, description: 'Only enabled providers are offered for sign-in. Default: true.' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ example: false, description: 'Trust the match claim without email_verified: true (Entra ID never sends it); email_verified: false is still refused. Default: false.' })
  @IsOptional()
  @IsBoolean()
  trustEmail?: boolean;

  @ApiPropertyOptional({ enum: ROLE_SOURCES, example: 'platform', description: '`provider`: each login sets the user\'s roles to what roleRules grant (read-only here). Default: platform.' })
  @IsOptional()
  @IsIn(ROLE_SOURCES)
  roleSource?: RoleSource;

  @ApiPropertyOptional({ type: [RoleRuleDto], example: [{ claim: 'groups', value: 'platform-admins', role: 'admin' }] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ROLE_RULES)
  @ValidateNested({ each: true })
  @Type(() => RoleRuleDto)
  roleRules?: RoleRuleDto[];

  @ApiPropertyOptional({ enum: PROVISIONING_MODES, example: 'preregistered', description: '`jit`: a first login granted a role creates its user; needs roleSource provider. Default: preregistered.' })
  @IsOptional()
  @IsIn(PROVISIONING_MODES)
  provisioning?: Provisioning;
}

export class UpdateIdentityProviderDto extends PartialType(OmitType(CreateIdentityProviderDto, ['id'] as const)) {}

export class TestIdentityProviderDto extends OmitType(CreateIdentityProviderDto, ['id', 'displayName'] as const) {
  @ApiPropertyOptional({
    example: 'acme-entra',
    description: 'The id it would get: the client step sends the redirect URI <PUBLIC_URL>/auth/callback/<id> the provider will see. Without it no redirect URI is sent, and the step says so.',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9-]{1,40}$/, { message: 'id must be 1 to 40 lowercase letters, digits or hyphens' })
  id?: string;

  @ApiPropertyOptional({ example: 'Acme (Entra ID)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  displayName?: string;
}

export class ProbeStepDto implements ProbeStep {
  @ApiProperty({ enum: ['discovery', 'issuer', 'endpoints', 'jwks', 'client'], example: 'client' }) step: ProbeStepName;
  @ApiProperty({ example: false }) ok: boolean;
  @ApiProperty({
    example: 'client_rejected',
    description:
      'Stable code: discovery_ok|discovery_unreachable|discovery_timeout|discovery_redirect|discovery_http_error|discovery_not_json, issuer_ok|issuer_mismatch, endpoints_ok|endpoints_missing, jwks_ok|jwks_unreachable|jwks_timeout|jwks_http_error|jwks_not_json|jwks_no_usable_key, client_ok|client_next_key_unknown (ok: the next client assertion key is not accepted yet)|client_no_secret|client_no_credentials|client_rejected|client_not_allowed|client_invalid_request|client_unexpected_response (a warning)|client_unreachable|client_timeout, address_not_allowed (any step that calls out), skipped.',
  })
  code: string;
  @ApiProperty({ example: 'The token endpoint refused client "front-door" (invalid_client): the client id or the secret is wrong, or the secret has expired. Copy both again from the provider\'s app registration.' })
  message: string;
  @ApiProperty({ example: 42 }) durationMs: number;
  @ApiPropertyOptional({
    example: true,
    description: 'Present on a step that passed without proving its point (an answer the Test cannot read either way, `client_unexpected_response`): worth a look, but it never makes the provider not ready.',
  })
  warning?: true;
}

export class ProbeResultDto implements ProbeResult {
  @ApiProperty({ example: false }) ok: boolean;
  @ApiProperty({ type: [ProbeStepDto], description: 'Always the five steps, in order; those after a failure are `skipped`.' }) steps: ProbeStepDto[];
}

export class LastTestDto extends ProbeResultDto {
  @ApiProperty({ example: '2026-11-28T07:30:00.000Z' }) at: Date;
  @ApiProperty({
    example: true,
    description: 'Whether this Test ran against the configuration set now (issuer, client id, client secret, scopes, redirect URI). When false its verdict says nothing about the current configuration: "not tested with this configuration".',
  })
  currentConfiguration: boolean;
}

export class IdentityProviderDto {
  @ApiProperty({ example: 'acme-entra' }) id: string;
  @ApiProperty({ example: 'Acme (Entra ID)' }) displayName: string;
  @ApiProperty({ example: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0' }) issuer: string;
  @ApiProperty({ example: 'front-door' }) clientId: string;
  @ApiProperty({ example: ['openid', 'profile', 'email'] }) scopes: string[];
  @ApiProperty({ enum: ['email', 'preferred_username'], example: 'email' }) matchClaim: 'email' | 'preferred_username';
  @ApiProperty({ example: ['acme.com'] }) emailDomains: string[];
  @ApiProperty({ example: true }) enabled: boolean;
  @ApiProperty({ example: false }) trustEmail: boolean;
  @ApiProperty({ enum: ROLE_SOURCES, example: 'platform' }) roleSource: RoleSource;
  @ApiProperty({ type: [RoleRuleDto] }) roleRules: RoleRuleDto[];
  @ApiProperty({ enum: PROVISIONING_MODES, example: 'preregistered' }) provisioning: Provisioning;
  @ApiProperty({ enum: ['environment', 'database'], example: 'database', description: '`environment`: configured by OIDC_* (read-only here).' })
  source: 'environment' | 'database';
  @ApiProperty({ example: true, description: 'Whether a client secret is stored. The secret itself is never returned.' }) hasClientSecret: boolean;
  @ApiProperty({ enum: CLIENT_AUTH_METHODS, example: 'client_secret_post', description: 'How the service authenticates at the token endpoint.' }) clientAuth: ClientAuthMethod;
  @ApiProperty({ example: 'https://identity.example.com/auth/client-jwks.json', description: 'For private_key_jwt: the JWKS URL to register at providers that fetch one (Keycloak, Okta).' }) clientJwksUri: string;
  @ApiProperty({ example: 'https://identity.example.com/auth/callback/acme-entra', description: 'Register this redirect URI at the provider.' }) redirectUri: string;
  @ApiProperty({ example: 'https://identity.example.com/auth/backchannel-logout/acme-entra' }) backchannelLogoutUri: string;
  @ApiPropertyOptional() createdAt?: Date;
  @ApiPropertyOptional() updatedAt?: Date;
  @ApiPropertyOptional({ type: () => LastTestDto, description: 'The last Test of this provider (by anyone, on any instance); absent before the first.' })
  lastTest?: LastTestDto;

  /** Copies the listed fields only, so nothing else (never a secret) can reach a response. */
  static from(view: ProviderView): IdentityProviderDto {
    return {
      id: view.id,
      displayName: view.displayName,
      issuer: view.issuer,
      clientId: view.clientId,
      scopes: view.scopes,
      matchClaim: view.matchClaim,
      emailDomains: view.emailDomains,
      enabled: view.enabled,
      trustEmail: view.trustEmail,
      roleSource: view.roleSource,
      roleRules: view.roleRules.map((rule) => ({ claim: rule.claim, value: rule.value, role: rule.role })),
      provisioning: view.provisioning,
      source: view.source,
      hasClientSecret: view.hasClientSecret,
      clientAuth: view.clientAuth,
      clientJwksUri: view.clientJwksUri,
      redirectUri: view.redirectUri,
      backchannelLogoutUri: view.backchannelLogoutUri,
      ...(view.createdAt ? { createdAt: view.createdAt } : {}),
      ...(view.updatedAt ? { updatedAt: view.updatedAt } : {}),
      ...(view.lastTest ? { lastTest: { ok: view.lastTest.ok, at: view.lastTest.at, steps: view.lastTest.steps, currentConfiguration: view.lastTest.currentConfiguration } } : {}),
    };
  }
}
