import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, type ClientRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import type { OnModuleDestroy } from '@nestjs/common';
import { AddressPolicy, unwrap } from '../common/address-policy.js';

/** A provider URL that resolves to an address the policy refuses; nothing was sent to it. */
export class AddressNotAllowedError extends Error {
  readonly code = 'address_not_allowed';

  constructor(
    readonly host: string,
    readonly address: string,
    readonly kind: string,
  ) {
    super(`${host} resolves to ${address}, ${kind}, which ALLOW_PRIVATE_PROVIDER_ADDRESSES does not list`);
    this.name = 'AddressNotAllowedError';
  }
}

/** A redirect to another origin, refused: a provider document's URL may not send this service elsewhere. */
export class CrossOriginRedirectError extends Error {
  readonly code = 'redirect_not_followed';

  constructor(from: URL, to: URL) {
    super(`${from.href} redirected to another origin (${to.origin}); only redirects within ${from.origin} are followed`);
    this.name = 'CrossOriginRedirectError';
  }
}

/** The address refusal somewhere in an error's causes (fetch wraps what the connection threw). */
export function addressRefusalOf(error: unknown): AddressNotAllowedError | undefined {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof AddressNotAllowedError) return current;
  }
  return undefined;
}

const MAX_SAME_ORIGIN_REDIRECTS = 5;

type ProviderRequestInit = Parameters<typeof undiciFetch>[1] & { signal?: AbortSignal };

/**
 * Every server-side call to an identity provider (discovery, JWKS, token, userinfo, the Test) goes
 * through here. Each resolved address is checked by the connection itself (a custom DNS lookup on
 * the connector and the Node agents), so the address that was checked is the one connected to: a
 * name cannot resolve to a public address for a check and a private one for the connection.
 */
export class ProviderHttp implements OnModuleDestroy {
  private readonly dispatcher: Agent;
  private readonly agents: { http: HttpAgent; https: HttpsAgent };

  constructor(readonly policy: AddressPolicy) {
    const lookup = this.lookup;
    const connector = buildConnector({ lookup } as buildConnector.BuildOptions);
    this.dispatcher = new Agent({
      connect: (options, callback) => {
        // A literal address is connected to without a lookup, so it is checked here.
        const refused = this.literalRefusal(options.hostname);
        if (refused) return callback(refused, null);
        return connector(options, callback);
      },
    });
    const guard = <T extends HttpAgent>(agent: T): T => {
      const create = (agent as unknown as { createConnection: (options: RequestOptions, callback: (error: Error | null, socket?: Socket) => void) => Socket | undefined }).createConnection.bind(agent);
      (agent as unknown as { createConnection: typeof create }).createConnection = (options, callback) => {
        const refused = this.literalRefusal(String(options.host ?? options.hostname ?? ''));
        if (refused) {
          callback(refused);
          return undefined;
        }
        return create({ ...options, lookup }, callback);
      };
      return agent;
    };
    this.agents = { http: guard(new HttpAgent({ keepAlive: true })), https: guard(new HttpsAgent({ keepAlive: true })) };
  }

  /**
   * fetch with the address check. Redirects are not followed (`redirects: 'none'`, the answer is the
   * 3xx itself) or followed within the same origin only; one to another origin is refused.
   */
  async fetch(url: string | URL, init: ProviderRequestInit = {}, options: { redirects?: 'none' | 'same-origin' } = {}): Promise<Response> {
    let current = new URL(url);
    for (let hop = 0; ; hop++) {
      const response = (await undiciFetch(current, { ...init, redirect: 'manual', dispatcher: this.dispatcher })) as unknown as Response;
      const location = response.headers.get('location');
      if (options.redirects !== 'same-origin' || response.status < 300 || response.status >= 400 || !location) return response;
      const next = new URL(location, current);
      await response.body?.cancel().catch(() => undefined);
      if (next.origin !== current.origin) throw new CrossOriginRedirectError(current, next);
      if (hop >= MAX_SAME_ORIGIN_REDIRECTS) throw new Error(`${url} redirected more than ${MAX_SAME_ORIGIN_REDIRECTS} times`);
      current = next;
    }
  }

  /** The agent for a Node http(s) request (passport-openidconnect's token and userinfo calls). */
  agentFor(protocol: string): HttpAgent {
    return protocol === 'https:' ? this.agents.https : this.agents.http;
  }

  /**
   * Routes passport-openidconnect's `oauth` client (token and userinfo requests, made with Node's
   * http/https) through the checked agents.
   */
  guardOAuth2Client(client: unknown): void {
    type Library = { request(options: RequestOptions): ClientRequest };
    const oauth = client as { _executeRequest(library: Library, options: RequestOptions, body: unknown, callback: unknown): void };
    const execute = oauth._executeRequest.bind(oauth);
    oauth._executeRequest = (library, options, body, callback) => {
      const protocol = (library as unknown as { globalAgent?: { protocol?: string } }).globalAgent?.protocol ?? 'http:';
      execute(library, { ...options, agent: this.agentFor(protocol) }, body, callback);
    };
  }

  /** At shutdown: open connections end, calls still waiting for a provider fail at once. */
  async onModuleDestroy(): Promise<void> {
    this.agents.http.destroy();
    this.agents.https.destroy();
    await this.dispatcher.destroy();
  }

  /** dns.lookup, then every address it found checked; one refused address refuses the name. */
  private readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      for (const { address } of addresses) {
        const kind = this.policy.refusal(address);
        if (kind) return callback(new AddressNotAllowedError(hostname, address, kind) as NodeJS.ErrnoException, '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };

  private literalRefusal(hostname: string): AddressNotAllowedError | undefined {
    const bare = unwrap(hostname);
    if (isIP(bare) === 0) return undefined;
    const kind = this.policy.refusal(bare);
    return kind ? new AddressNotAllowedError(hostname, bare, kind) : undefined;
  }
}
