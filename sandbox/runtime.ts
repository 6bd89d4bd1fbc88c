/** What a running sandbox process publishes in <dataDir>/runtime.json. */
export interface Runtime {
  pid: number;
  port: number;
  url: string;
  env: Record<string, string>;
}

export const RUNTIME_FILE = "runtime.json";

/** The service-account key file whose token_uri is the running sandbox. */
export const GOOGLE_CREDENTIALS_FILE = "google-credentials.json";
