import type * as pulumi from "@pulumi/pulumi";
import { CustomResource } from "@pulumi/pulumi/resource";
import * as config from "../config";

/**
 * The provider of one resource type as the engine stores it in the state of every resource of
 * that type: the text the dynamic-provider plugin evaluates (`require`d from a string; its
 * `handler()` gives the provider). It only names the module and export of the real provider, which
 * the plugin loads from the installed package, so the state stays small, carries no credential or
 * client, and a resource whose state was written by an older release runs the installed code.
 *
 * Written here rather than by @pulumi/pulumi's closure serializer: that serializer needs the
 * TypeScript compiler and npm's arborist, whose loading was a second of every engine run
 * (docs/benchmark.md, "The fixed cost of an engine run").
 *
 * The plugin requires the text from the program's folder, so the package must be resolvable from
 * there: it is, wherever the package is installed (and inside this repository through the link
 * `npm ci` makes, scripts/link-self.js).
 */
export function serializableProvider(resourceModule: string, exportName: string): string {
  const modulePath = `pulumi-mail-coexistence/dist/provider/resources/${resourceModule}`;
  return `exports.handler = () => require(${JSON.stringify(modulePath)})[${JSON.stringify(exportName)}];\n`;
}

/**
 * A dynamic resource whose provider text is given (`serializableProvider`): what
 * `pulumi.dynamic.Resource` registers (the type `pulumi-nodejs:dynamic/<module>:<type>` and the
 * `__provider` input), without loading the closure serializer.
 */
export class DynamicResource extends CustomResource {
  constructor(provider: string, name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions | undefined, module: string, type: string) {
    super(`pulumi-nodejs:dynamic/${module}:${type}`, name, { ...props, __provider: provider }, opts);
  }
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
