/**
 * Where xero-node's requests go. The same client talks to real Xero, app/simulators/xero or
 * anyone's fake: only the URLs differ, and a request for any other host is refused before it is sent.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';

const XERO_IDENTITY_ORIGIN = 'https://identity.xero.com';
const XERO_API_ORIGIN = 'https://api.xero.com';

export interface Route {
  /** e.g. https://api.xero.com (no /api.xro/2.0), no trailing slash */
  apiUrl: string;
  /** e.g. https://identity.xero.com, no trailing slash */
  identityUrl: string;
  timeoutMs: number;
}

interface AxiosLikeConfig {
  url?: string;
  timeout?: number;
}

interface AxiosLike {
  interceptors: { request: { use(onFulfilled: (config: AxiosLikeConfig) => AxiosLikeConfig): number } };
}

/** require() as xero-node does: the very instances of axios and openid-client it uses. */
export const requireFromXeroNode = createRequire(createRequire(import.meta.url).resolve('xero-node'));

// xero-node hard-codes https://identity.xero.com and https://api.xero.com/connections and sends
// every request through the CommonJS axios instance it require()s (an ESM `import axios` would be
// a different instance it never uses). We install ONE request interceptor on that instance, once
// per process. Rather than a process-wide URL mapping, each client runs its SDK calls inside
// `routedTo(route, …)`, so the interceptor sends every request to the URLs (and timeout) of the
// client that made it: several clients, pointing at real Xero or at simulators, can share a
// process. Requests made outside our clients are left untouched.
const routes = new AsyncLocalStorage<Route>();
let interceptorInstalled = false;

function installInterceptor(): void {
  if (interceptorInstalled) return;
  const sdkAxios = requireFromXeroNode('axios') as AxiosLike;
  sdkAxios.interceptors.request.use((config) => {
    const route = routes.getStore();
    if (!route) return config;
    if (config.url) config.url = rewriteOrigin(config.url, route);
    // Fail closed: a call xero-node makes to a host we did not map (a new SDK version's new
    // endpoint) must not leave for the real Xero while the gateway is pointed at a simulator,
    // nor anywhere else.
    if (!config.url || !isRouted(config.url, route)) throw new Error(`refused: xero-node called ${config.url ?? '(no url)'}, outside the configured Xero URLs`);
    config.timeout = route.timeoutMs;
    return config;
  });
  interceptorInstalled = true;
}

/** The configured URLs without trailing slashes, and the timeout (10 s unless given). */
export function routeOf(urls: { apiUrl: string; identityUrl: string; timeoutMs?: number }): Route {
  return { apiUrl: trimSlash(urls.apiUrl), identityUrl: trimSlash(urls.identityUrl), timeoutMs: urls.timeoutMs ?? 10_000 };
}

/** Runs xero-node calls made by fn against these URLs. */
export function routedTo<T>(urls: { apiUrl: string; identityUrl: string; timeoutMs?: number }, fn: () => Promise<T>): Promise<T> {
  installInterceptor();
  return routes.run(routeOf(urls), fn);
}

/** xero-node's own axios instance, for the test that proves no call leaves for another host. */
export function xeroSdkAxiosForTests(): { get(url: string): Promise<unknown> } {
  installInterceptor();
  return requireFromXeroNode('axios') as { get(url: string): Promise<unknown> };
}

function isRouted(url: string, route: Route): boolean {
  return [route.apiUrl, route.identityUrl].some((base) => isUnder(url, base));
}

function rewriteOrigin(url: string, route: Route): string {
  const pairs: [string, string][] = [
    [XERO_IDENTITY_ORIGIN, route.identityUrl],
    [XERO_API_ORIGIN, route.apiUrl],
  ];
  for (const [from, to] of pairs) {
    if (isUnder(url, from)) return to + url.slice(from.length);
  }
  return url;
}

function isUnder(url: string, base: string): boolean {
  return url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
