/**
 * The Microsoft clouds the provider knows, by host: a token's scope must name the resource of the
 * cloud the URLs point to (an access token of one cloud is worthless in another), so the
 * configured Graph, Exchange and login hosts pick the cloud and must agree. Sources: docs/clients.md,
 * "Clouds".
 */
import { ConfigError, isLoopbackHost, type CoexistConfig, type ConfigKey } from "../config";

export interface MicrosoftCloud {
  name: string;
  graphHost: string;
  /** The Exchange admin API hosts; a subdomain of one is a regional host of the same cloud. */
  exchangeHosts: string[];
  /** The Exchange resource the token is asked for. */
  exchangeResource: string;
  loginHosts: string[];
}

export const MICROSOFT_CLOUDS: readonly MicrosoftCloud[] = Object.freeze([
  {
    name: "commercial (GCC included)",
    graphHost: "graph.microsoft.com",
    exchangeHosts: ["outlook.office365.com", "outlook.office.com"],
    exchangeResource: "https://outlook.office365.com",
    loginHosts: ["login.microsoftonline.com"],
  },
  {
    name: "GCC High",
    graphHost: "graph.microsoft.us",
    exchangeHosts: ["outlook.office365.us"],
    exchangeResource: "https://outlook.office365.us",
    loginHosts: ["login.microsoftonline.us"],
  },
  {
    name: "DoD",
    graphHost: "dod-graph.microsoft.us",
    exchangeHosts: ["outlook-dod.office365.us"],
    exchangeResource: "https://outlook-dod.office365.us",
    loginHosts: ["login.microsoftonline.us"],
  },
  {
    name: "21Vianet (China)",
    graphHost: "microsoftgraph.chinacloudapi.cn",
    exchangeHosts: ["partner.outlook.cn"],
    exchangeResource: "https://partner.outlook.cn",
    loginHosts: ["login.chinacloudapi.cn", "login.partner.microsoftonline.cn"],
  },
]);

export interface Scopes {
  graph: string;
  exchange: string;
}

/** Whether MSAL knows this authority host (any other, the sandbox's, must skip instance discovery). */
export function usesMicrosoftAuthority(loginUrl: string): boolean {
  const host = new URL(loginUrl).hostname.toLowerCase();
  return MICROSOFT_CLOUDS.some((cloud) => cloud.loginHosts.includes(host));
}

/**
 * The cloud the Graph, Exchange and login URLs name. A loopback URL (the sandbox serves both APIs
 * on one origin) fits any cloud, so an all-loopback configuration is the commercial cloud, the
 * first; an unknown host, or hosts of different clouds, are a ConfigError naming the settings.
 */
export function microsoftCloudOf(config: Pick<CoexistConfig, "graphUrl" | "exchangeUrl" | "loginUrl">): MicrosoftCloud {
  const graph = candidates("graphUrl", config.graphUrl, (cloud, host) => host === cloud.graphHost);
  const exchange = candidates("exchangeUrl", config.exchangeUrl, (cloud, host) => cloud.exchangeHosts.some((known) => host === known || host.endsWith(`.${known}`)));
  const login = candidates("loginUrl", config.loginUrl, (cloud, host) => cloud.loginHosts.includes(host));
  const agreed = graph.clouds.filter((cloud) => exchange.clouds.includes(cloud) && login.clouds.includes(cloud));
  if (agreed.length === 0) {
    const named = [graph, exchange, login].map((found) => `coexist:${found.key} ${found.host} (${found.clouds.map((cloud) => cloud.name).join(" or ")})`).join(", ");
    throw new ConfigError("graphUrl", `and the other Microsoft endpoints name different clouds: ${named}; set all three for one cloud`);
  }
  return agreed[0];
}

function candidates(key: ConfigKey, url: string, matches: (cloud: MicrosoftCloud, host: string) => boolean): { key: ConfigKey; host: string; clouds: MicrosoftCloud[] } {
  const host = new URL(url).hostname.toLowerCase();
  if (isLoopbackHost(host)) return { key, host, clouds: [...MICROSOFT_CLOUDS] };
  const clouds = MICROSOFT_CLOUDS.filter((cloud) => matches(cloud, host));
  if (clouds.length === 0) {
    const known = MICROSOFT_CLOUDS.map((cloud) => `${cloud.name}: ${key === "graphUrl" ? cloud.graphHost : key === "exchangeUrl" ? cloud.exchangeHosts.join(", ") : cloud.loginHosts.join(", ")}`).join("; ");
    throw new ConfigError(key, `names ${host}, which is not a host of a Microsoft cloud this provider knows (${known}) nor a loopback sandbox; a token for it would have no known scope`);
  }
  return { key, host, clouds };
}

/** The `.default` scopes for Graph and Exchange in the configured cloud. */
export function scopesFor(config: Pick<CoexistConfig, "graphUrl" | "exchangeUrl" | "loginUrl">): Scopes {
  const cloud = microsoftCloudOf(config);
  return { graph: `https://${cloud.graphHost}/.default`, exchange: `${cloud.exchangeResource}/.default` };
}
