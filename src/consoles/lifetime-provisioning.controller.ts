import { Body, Controller, HttpStatus, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CsrfService } from '../auth/csrf.service.js';
import { LifeTimePage } from '../auth/decorators.js';
import { DomainException } from '../common/domain.exception.js';
import { html } from '../common/html.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { IdentityProvidersService } from '../identity-providers/identity-providers.service.js';
import { checkProviderId } from '../identity-providers/provider-rules.js';
import { scimBaseUrl } from '../provisioning/scim-api.decorator.js';
import { ScimTokensService } from '../provisioning/scim-tokens.service.js';
import { lifetimePage, setFlash } from './console-layout.js';
import { providerPageBody } from './lifetime-authentication-views.js';
import { provisioningSection } from './lifetime-provisioning-views.js';
import { confirmPage } from './lifetime-views.js';

const SECTION = '/lifetime/authentication';

/**
 * LifeTime › Authentication › a provider › Provisioning (SCIM): generating a token (shown on the
 * page that answers, and never again) and revoking one, through ScimTokensService as the admin
 * API does. LifeTimeAuthenticationController shows the section on the provider's page.
 */
@ApiExcludeController()
@LifeTimePage()
@Controller(`${SECTION}/:id/scim-tokens`)
export class LifeTimeProvisioningController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly providers: IdentityProvidersService,
    private readonly tokens: ScimTokensService,
    private readonly csrf: CsrfService,
  ) {}

  @Post()
  async generate(@Param('id') id: string, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    const provider = await this.providers.get(checkProviderId(id));
    let newToken: { name: string; token: string } | undefined;
    let refusal: DomainException | undefined;
    try {
      newToken = await this.tokens.create({ providerId: provider.id, name: body.name }, req.principal!.user.id);
    } catch (error) {
      if (!(error instanceof DomainException) || error.status >= HttpStatus.INTERNAL_SERVER_ERROR) throw error;
      refusal = error;
    }
    const csrfToken = this.csrf.token(req);
    const section = provisioningSection({ providerId: provider.id, baseUrl: scimBaseUrl(this.config), tokens: await this.tokens.list(provider.id), csrfToken, newToken });
    const flash = refusal ? html`<div class="flash error" role="alert" id="flash">${refusal.message}${refusal.options.details ? ` ${refusal.options.details.join('; ')}` : ''}</div>` : '';
    // Answered here rather than redirected: the token must not travel through a flash message or a URL.
    res
      .status(refusal ? refusal.status : HttpStatus.CREATED)
      .setHeader('Cache-Control', 'no-store')
      .type('html')
      .send(lifetimePage(req, { title: provider.displayName, section: SECTION, csrfToken, copyButtons: true, body: html`${flash}${providerPageBody({ provider, csrfToken, provisioning: section })}` }));
  }

  @Post(':tokenId/revoke')
  async revoke(@Param('id') id: string, @Param('tokenId') tokenId: string, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    const provider = await this.providers.get(checkProviderId(id));
    const token = (await this.tokens.list(provider.id)).find((candidate) => candidate.id === tokenId);
    if (!token) throw new DomainException('scim_token_not_found', HttpStatus.NOT_FOUND, `No SCIM token ${tokenId} for ${provider.displayName}.`);
    if (body.confirm !== 'yes') {
      const csrfToken = this.csrf.token(req);
      const question = `Revoke the SCIM token "${token.name}" of ${provider.displayName}? The directory using it is refused from its next request until it is given a new token.`;
      res.status(HttpStatus.OK).type('html').send(lifetimePage(req, { title: 'Confirm', section: SECTION, csrfToken, body: confirmPage({ action: `${SECTION}/${provider.id}/scim-tokens/${token.id}/revoke`, question, button: 'Revoke token', back: `${SECTION}/${provider.id}#provisioning`, csrfToken }) }));
      return;
    }
    await this.tokens.revoke(token.id, req.principal!.user.id);
    await setFlash(req, 'success', `Revoked the SCIM token "${token.name}".`);
    res.redirect(303, `${SECTION}/${provider.id}#provisioning`);
  }
}
