import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DomainException } from '../common/domain.exception.js';
import { ClientAssertionKeysService } from '../identity-providers/client-assertion-keys.service.js';
import { AdminApi } from '../auth/decorators.js';
import { checkProviderId } from '../identity-providers/provider-rules.js';
import { IdentityProvidersService } from '../identity-providers/identity-providers.service.js';
import { ApiErrorDto } from '../common/api-error.dto.js';
import { CreateIdentityProviderDto, IdentityProviderDto, ProbeResultDto, TestIdentityProviderDto, UpdateIdentityProviderDto } from './dto/identity-provider.dto.js';

const PROVIDER_ID = { name: 'id', example: 'acme-entra', description: 'The provider id (slug); `default` is the one configured by OIDC_*.' };

/** Identity providers as data: added, changed, tested and removed at runtime, on every instance. */
@ApiTags('admin: identity providers')
@AdminApi()
@Controller('api/admin/identity-providers')
export class AdminIdentityProvidersController {
  constructor(
    private readonly providers: IdentityProvidersService,
    private readonly assertionKeys: ClientAssertionKeysService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List identity providers', description: 'The environment provider (`default`, from OIDC_*) first, then the stored ones. Client secrets are never returned.' })
  @ApiOkResponse({ type: [IdentityProviderDto] })
  async list(): Promise<IdentityProviderDto[]> {
    return (await this.providers.list()).map(IdentityProviderDto.from);
  }

  @Post()
  @ApiOperation({
    summary: 'Add an identity provider',
    description: 'Takes effect on every instance within 2 seconds, without restart. Register `redirectUri` from the answer at the provider. Run the Test first with POST /api/admin/identity-providers/test.',
  })
  @ApiCreatedResponse({ type: IdentityProviderDto })
  @ApiBadRequestResponse({ description: 'Invalid id (slug), issuer or fields.', type: ApiErrorDto })
  @ApiConflictResponse({ description: 'The id exists already, or is `default`.', type: ApiErrorDto })
  async create(@Body() body: CreateIdentityProviderDto, @Req() req: Request): Promise<IdentityProviderDto> {
    return IdentityProviderDto.from(await this.providers.create(body, req.principal!.user.id));
  }

  @Post('test')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Test a draft provider (nothing is saved)',
    description: 'Runs the steps discovery, issuer, endpoints, jwks and client in that order; each has a stable code and a sentence saying what to do. The client step sends a dummy authorization code (and the redirect URI <PUBLIC_URL>/auth/callback/<id> when the draft has an `id`): a refusal of the code (`invalid_grant`, `invalid_code`, …) means the credentials were accepted; an answer that proves nothing is a warning.',
  })
  @ApiBody({ type: TestIdentityProviderDto })
  @ApiOkResponse({ type: ProbeResultDto })
  @ApiBadRequestResponse({ description: 'Invalid draft.', type: ApiErrorDto })
  testDraft(@Body() body: TestIdentityProviderDto, @Req() req: Request): Promise<ProbeResultDto> {
    return this.providers.testDraft(body, req.principal!.user.id);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read one identity provider' })
  @ApiParam(PROVIDER_ID)
  @ApiOkResponse({ type: IdentityProviderDto })
  @ApiBadRequestResponse({ description: '`invalid_provider`: the id is not a slug ([a-z0-9-]{1,40}).', type: ApiErrorDto })
  @ApiNotFoundResponse({ description: '`provider_not_found`: no provider with this id.', type: ApiErrorDto })
  async get(@Param('id') id: string): Promise<IdentityProviderDto> {
    return IdentityProviderDto.from(await this.providers.get(checkProviderId(id)));
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change an identity provider (a new client secret, for instance)',
    description:
      'Applies at once on every instance; logins already under way finish with the new settings. To rotate a secret: add the new one at the provider, PATCH it here, then remove the old one at the provider. A change of `issuer` must carry `clientSecret` too: the new issuer\'s discovery document decides where the secret is posted.',
  })
  @ApiParam(PROVIDER_ID)
  @ApiOkResponse({ type: IdentityProviderDto })
  @ApiBadRequestResponse({ description: '`invalid_provider` or `invalid_request`: an invalid id or field; `client_secret_required`: `issuer` changes without `clientSecret`.', type: ApiErrorDto })
  @ApiNotFoundResponse({ description: '`provider_not_found`: no provider with this id.', type: ApiErrorDto })
  @ApiConflictResponse({ description: '`provider_read_only`: `default` comes from the environment, change OIDC_* instead; `last_sign_in_method`: disabling it would leave no way to sign in.', type: ApiErrorDto })
  async update(@Param('id') id: string, @Body() body: UpdateIdentityProviderDto, @Req() req: Request): Promise<IdentityProviderDto> {
    return IdentityProviderDto.from(await this.providers.update(checkProviderId(id), body, req.principal!.user.id));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Remove an identity provider', description: 'Its sign-in stops at once on every instance. Linked identities stay, so adding it back restores them.' })
  @ApiParam(PROVIDER_ID)
  @ApiNoContentResponse({ description: 'The provider is gone.' })
  @ApiBadRequestResponse({ description: '`invalid_provider`: the id is not a slug ([a-z0-9-]{1,40}).', type: ApiErrorDto })
  @ApiNotFoundResponse({ description: '`provider_not_found`: no provider with this id.', type: ApiErrorDto })
  @ApiConflictResponse({ description: '`provider_read_only`: `default` comes from the environment; `last_sign_in_method`: deleting it would leave no way to sign in.', type: ApiErrorDto })
  async delete(@Param('id') id: string, @Req() req: Request): Promise<void> {
    await this.providers.delete(checkProviderId(id), req.principal!.user.id);
  }

  @Get(':id/certificate')
  @ApiOperation({
    summary: 'The certificate of the client assertion key (PEM)',
    description:
      'A self-signed X.509 certificate of the RS256 key that signs this service\'s private_key_jwt client assertions now (their header carries its `x5t#S256`), for providers that take an uploaded certificate (Entra ID, Auth0). `?key=next` gives the key that signs next, published ahead of its switch (its `X-Key-Active-From` header says when), so it can be uploaded before it is used; 404 while none is waiting. The same keys serve every provider.',
  })
  @ApiParam(PROVIDER_ID)
  @ApiQuery({ name: 'key', required: false, enum: ['current', 'next'] })
  @ApiProduces('application/x-pem-file')
  @ApiOkResponse({ description: 'PEM, `-----BEGIN CERTIFICATE-----`…', schema: { type: 'string' } })
  @ApiNotFoundResponse({ type: ApiErrorDto })
  @ApiBadRequestResponse({ type: ApiErrorDto })
  async certificate(@Param('id') id: string, @Query('key') key: string | undefined, @Res({ passthrough: true }) res: Response): Promise<string> {
    const provider = await this.providers.get(checkProviderId(id));
    if (key !== undefined && key !== 'current' && key !== 'next') throw new DomainException('invalid_key', HttpStatus.BAD_REQUEST, 'key must be "current" or "next".');
    const which = key === 'next' ? 'next' : 'current';
    const certificate = await this.assertionKeys.certificate(which);
    if (!certificate) throw new DomainException('no_next_key', HttpStatus.NOT_FOUND, 'No next client assertion key is waiting yet; the current one keeps signing.');
    res.set({
      'Content-Type': 'application/x-pem-file',
      'Content-Disposition': `attachment; filename="${provider.id}-client-assertion${which === 'next' ? '-next' : ''}.pem"`,
      'Cache-Control': 'no-store',
      'X-Key-Active-From': certificate.activeFrom.toISOString(),
      'X-Certificate-Thumbprint-S256': certificate.thumbprintSha256,
    });
    return certificate.pem;
  }

  @Post(':id/test')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Test a saved identity provider', description: 'The same steps as the draft Test, with the stored settings and secret. The result also becomes the provider\'s readiness.' })
  @ApiParam(PROVIDER_ID)
  @ApiOkResponse({ type: ProbeResultDto })
  @ApiBadRequestResponse({ description: '`invalid_provider`: the id is not a slug ([a-z0-9-]{1,40}).', type: ApiErrorDto })
  @ApiNotFoundResponse({ description: '`provider_not_found`: no provider with this id.', type: ApiErrorDto })
  test(@Param('id') id: string, @Req() req: Request): Promise<ProbeResultDto> {
    return this.providers.test(checkProviderId(id), req.principal!.user.id);
  }
}
