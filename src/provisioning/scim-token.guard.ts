import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { bearerToken } from '../auth/guards/bearer-token.js';
import { IdentityProviderRegistry } from '../identity-providers/identity-provider.registry.js';
import { RateLimitService } from '../limits/rate-limit.service.js';
import { setRequestActor } from '../observability/request-context.js';
import { ScimException } from './scim-error.js';
import type { ScimToken } from './scim-token.entity.js';
import { ScimTokensService } from './scim-tokens.service.js';

/** The SCIM client a request came from: its token and the provider whose users and groups it may touch. */
export interface ScimClient {
  tokenId: string;
  tokenName: string;
  providerId: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    scimClient?: ScimClient;
  }
}

/**
 * Routes marked `@ScimApi()`: a SCIM token and nothing else (no session, no admin API token). The
 * token's provider must still exist; each request counts against the token's rate limit.
 */
@Injectable()
export class ScimTokenGuard implements CanActivate {
  constructor(
    private readonly tokens: ScimTokensService,
    private readonly registry: IdentityProviderRegistry,
    private readonly limits: RateLimitService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const bearer = bearerToken(req);
    if (!bearer) throw new ScimException(401, 'Send the SCIM token in the Authorization header (Bearer).');
    const token: ScimToken | undefined = await this.tokens.authenticate(bearer);
    if (!token) throw new ScimException(401, 'The SCIM token is unknown or revoked.');
    if (!this.registry.find(token.providerId)) throw new ScimException(401, `The SCIM token's identity provider ${token.providerId} no longer exists.`);
    await this.limits.consume('scim', token.id);
    req.scimClient = { tokenId: token.id, tokenName: token.name, providerId: token.providerId };
    // The audit trail names the directory by its token's name.
    setRequestActor({ id: token.id, email: token.name });
    return true;
  }
}
