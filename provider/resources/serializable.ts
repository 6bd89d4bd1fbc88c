import * as pulumi from "@pulumi/pulumi";
import * as config from "../config";

/**
 * The provider object Pulumi serializes into the state of every resource of one type. It holds
 * only the module path and export name of the real provider and loads it from the installed
 * package on each call, so the state stays small (about 1.5 KB a resource), carries no credential
 * or client, and a resource whose state was written by an older release runs the installed code.
 *
 * The engine's provider plugin requires the serialized text from the program's folder, so the
 * package must be resolvable from there: it is, wherever the package is installed (and inside this
 * repository through the link `npm ci` makes, scripts/link-self.js).
 */
export function serializableProvider(resourceModule: string, exportName: string): pulumi.dynamic.ResourceProvider {
  const load = (): pulumi.dynamic.ResourceProvider =>
    require(`pulumi-mail-coexistence/dist/provider/resources/${resourceModule}`)[exportName];
  return {
    configure: (req) => load().configure!(req),
    check: (olds, news) => load().check!(olds, news),
    diff: (id, olds, news) => load().diff!(id, olds, news),
    create: (inputs) => load().create(inputs),
    read: (id, props) => load().read!(id, props),
    update: (id, olds, news) => load().update!(id, olds, news),
    delete: (id, props) => load().delete!(id, props),
  };
}

/**
 * Every provider's `configure`: stack config `coexist:*` (secrets already unwrapped by the engine)
 * becomes the process-wide client configuration of the provider plugin.
 */
export async function configureFromStack(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  config.configureFromStack(req.config);
}

/**
 * The error to throw from `create` or `update` when the object now exists but is not finished
 * (e.g. a licence assigned whose mailbox has not appeared yet). The engine records the resource
 * with `outs` and its id, reports the step as failed, and updates it on the next `up` instead of
 * creating it again. The serialized provider is copied from the step's `inputs` into the
 * recorded outputs, which later steps (delete, refresh) load it from.
 */
export function createdButNotReady(message: string, id: string, outs: object, inputs: Record<string, unknown>): Error {
  const properties = { ...outs, __provider: inputs.__provider };
  return Object.assign(new Error(message), { id, properties, reasons: [message] });
}

/**
 * Outputs as the engine can carry them: the dynamic provider serializes outputs as a protobuf
 * Struct, which fails with "Unexpected struct type" on an `undefined` value, so absent optional
 * fields are dropped (at any depth).
 */
export function engineOutputs<T extends object>(outputs: T): T {
  return JSON.parse(JSON.stringify(outputs)) as T;
}
