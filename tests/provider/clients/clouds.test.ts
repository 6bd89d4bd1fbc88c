import * as assert from "assert";
import { microsoftCloudOf, scopesFor, usesMicrosoftAuthority } from "../../../provider/clients/clouds";
import { ConfigError } from "../../../provider/config";

const COMMERCIAL = { graphUrl: "https://graph.microsoft.com/v1.0", exchangeUrl: "https://outlook.office365.com/adminapi/beta", loginUrl: "https://login.microsoftonline.com" };

describe("Microsoft clouds", () => {
  const scopes = [
    { name: "commercial (the defaults)", config: COMMERCIAL, graph: "https://graph.microsoft.com/.default", exchange: "https://outlook.office365.com/.default" },
    { name: "commercial through a regional Exchange host", config: { ...COMMERCIAL, exchangeUrl: "https://emea.outlook.office365.com/adminapi/beta" }, graph: "https://graph.microsoft.com/.default", exchange: "https://outlook.office365.com/.default" },
    { name: "commercial with outlook.office.com", config: { ...COMMERCIAL, exchangeUrl: "https://outlook.office.com/adminapi/beta" }, graph: "https://graph.microsoft.com/.default", exchange: "https://outlook.office365.com/.default" },
    {
      name: "GCC High",
      config: { graphUrl: "https://graph.microsoft.us/v1.0", exchangeUrl: "https://outlook.office365.us/adminapi/beta", loginUrl: "https://login.microsoftonline.us" },
      graph: "https://graph.microsoft.us/.default",
      exchange: "https://outlook.office365.us/.default",
    },
    {
      name: "DoD",
      config: { graphUrl: "https://dod-graph.microsoft.us/v1.0", exchangeUrl: "https://outlook-dod.office365.us/adminapi/beta", loginUrl: "https://login.microsoftonline.us" },
      graph: "https://dod-graph.microsoft.us/.default",
      exchange: "https://outlook-dod.office365.us/.default",
    },
    {
      name: "21Vianet",
      config: { graphUrl: "https://microsoftgraph.chinacloudapi.cn/v1.0", exchangeUrl: "https://partner.outlook.cn/adminapi/beta", loginUrl: "https://login.chinacloudapi.cn" },
      graph: "https://microsoftgraph.chinacloudapi.cn/.default",
      exchange: "https://partner.outlook.cn/.default",
    },
    {
      name: "21Vianet with the partner login host",
      config: { graphUrl: "https://microsoftgraph.chinacloudapi.cn/v1.0", exchangeUrl: "https://partner.outlook.cn/adminapi/beta", loginUrl: "https://login.partner.microsoftonline.cn" },
      graph: "https://microsoftgraph.chinacloudapi.cn/.default",
      exchange: "https://partner.outlook.cn/.default",
    },
    {
      name: "a loopback sandbox (both APIs on one origin): commercial",
      config: { graphUrl: "https://127.0.0.1:8443/v1.0", exchangeUrl: "https://127.0.0.1:8443/adminapi/beta", loginUrl: "https://127.0.0.1:8443" },
      graph: "https://graph.microsoft.com/.default",
      exchange: "https://outlook.office365.com/.default",
    },
  ];
  for (const { name, config, graph, exchange } of scopes) {
    it(`asks for the ${name} scopes`, () => assert.deepStrictEqual(scopesFor(config), { graph, exchange }));
  }

  const refused = [
    { name: "an unknown Graph host", config: { ...COMMERCIAL, graphUrl: "https://graph.contoso-proxy.example/v1.0" }, key: "graphUrl", message: /^coexist:graphUrl names graph\.contoso-proxy\.example, which is not a host of a Microsoft cloud this provider knows \(commercial \(GCC included\): graph\.microsoft\.com; GCC High: graph\.microsoft\.us; DoD: dod-graph\.microsoft\.us; 21Vianet \(China\): microsoftgraph\.chinacloudapi\.cn\) nor a loopback sandbox/ },
    { name: "an unknown Exchange host", config: { ...COMMERCIAL, exchangeUrl: "https://outlook.office365.com.evil.example/adminapi/beta" }, key: "exchangeUrl", message: /^coexist:exchangeUrl names outlook\.office365\.com\.evil\.example, which is not a host of a Microsoft cloud/ },
    { name: "an unknown login host", config: { ...COMMERCIAL, loginUrl: "https://login.example.test" }, key: "loginUrl", message: /^coexist:loginUrl names login\.example\.test/ },
    {
      name: "GCC High Graph with commercial Exchange",
      config: { ...COMMERCIAL, graphUrl: "https://graph.microsoft.us/v1.0", loginUrl: "https://login.microsoftonline.us" },
      key: "graphUrl",
      message: /^coexist:graphUrl and the other Microsoft endpoints name different clouds: coexist:graphUrl graph\.microsoft\.us \(GCC High\), coexist:exchangeUrl outlook\.office365\.com \(commercial \(GCC included\)\), coexist:loginUrl login\.microsoftonline\.us \(GCC High or DoD\); set all three for one cloud$/,
    },
  ];
  for (const { name, config, key, message } of refused) {
    it(`refuses ${name}, naming coexist:${key}`, () => {
      assert.throws(() => microsoftCloudOf(config), (error: unknown) => error instanceof ConfigError && error.key === key && message.test(error.message));
    });
  }

  const authorities = [
    { loginUrl: "https://login.microsoftonline.com", microsoft: true },
    { loginUrl: "https://login.microsoftonline.us/", microsoft: true },
    { loginUrl: "https://login.chinacloudapi.cn", microsoft: true },
    { loginUrl: "https://login.partner.microsoftonline.cn", microsoft: true },
    { loginUrl: "https://127.0.0.1:8443", microsoft: false },
    { loginUrl: "https://login.example.test", microsoft: false },
  ];
  for (const { loginUrl, microsoft } of authorities) {
    it(`${microsoft ? "keeps" : "skips"} MSAL instance discovery for ${loginUrl}`, () => assert.strictEqual(usesMicrosoftAuthority(loginUrl), microsoft));
  }
});
