import { saveCredentials, type StoredCredentials } from './credentials.js';
import { callApi, StudioError, type TokenResponse } from './studio-api.js';

/** Refresh a little before the access token runs out, so a call in flight does not race its expiry. */
const EXPIRY_MARGIN_MS = 30_000;

/**
 * Calls the desktop API with the stored access token, refreshing it by itself when it has expired
 * or is refused, as the real Studios keep their session. Every refresh is saved at once: the old
 * refresh token no longer works, and presenting it again would end the whole sign-in.
 */
export async function callWithFreshToken<T>(
  path: string,
  stored: StoredCredentials,
  options: { file: string; method?: string; signal?: AbortSignal },
): Promise<T> {
  let current = stored;
  if (Date.parse(current.expiresAt) - EXPIRY_MARGIN_MS <= Date.now() && current.refreshToken) {
    current = await refreshCredentials(current, options.file, options.signal);
  }
  try {
    return await callApi<T>(`${current.environment}${path}`, { method: options.method, token: current.accessToken, signal: options.signal });
  } catch (error) {
    if (!(error instanceof StudioError && error.status === 401 && current.refreshToken && current === stored)) throw error;
    current = await refreshCredentials(current, options.file, options.signal);
    return callApi<T>(`${current.environment}${path}`, { method: options.method, token: current.accessToken, signal: options.signal });
  }
}

async function refreshCredentials(stored: StoredCredentials, file: string, signal?: AbortSignal): Promise<StoredCredentials> {
  let token: TokenResponse;
  try {
    token = await callApi<TokenResponse>(`${stored.environment}/api/desktop/token/refresh`, { method: 'POST', body: { refreshToken: stored.refreshToken }, signal });
  } catch (error) {
    if (error instanceof StudioError && error.status === 400) {
      // Treated like a refused access token by the caller: the person has to log in again.
      throw new StudioError(`${stored.environment} no longer accepts the stored sign-in (${error.code ?? 'refused'}). Log in again.`, 401, error.code);
    }
    throw error;
  }
  const refreshed: StoredCredentials = {
    ...stored,
    accessToken: token.accessToken,
    expiresAt: new Date(Date.now() + token.expiresIn * 1000).toISOString(),
    refreshToken: token.refreshToken,
    refreshExpiresAt: token.refreshExpiresIn ? new Date(Date.now() + token.refreshExpiresIn * 1000).toISOString() : undefined,
    user: token.user,
  };
  await saveCredentials(file, refreshed);
  return refreshed;
}
