import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../architecture/imports";

/**
 * The engine gives a resource an output only for a key its constructor passes: an optional input
 * left out of the program, or an output the provider computes, stays `undefined` at run time, and
 * `pulumi up` warns "Undefined value (…) will not show as a stack output", unless the constructor
 * passes the key as `undefined` (issue 17, point 4). This reads every resource class and checks
 * that each output typed as a value is a required input or such a key.
 */
interface ResourceClass {
  file: string;
  /** Only a base of others: checked through them. */
  abstract: boolean;
  base: string;
  /** Declared outputs whose type does not allow `undefined`. */
  valueOutputs: string[];
  /** Keys the constructor passes as `undefined` before the inputs. */
  undefinedKeys: string[];
  requiredInputs: string[];
}

const RESOURCES = path.join(REPO_ROOT, "provider", "resources");

function readClasses(): Map<string, ResourceClass> {
  const classes = new Map<string, ResourceClass>();
  for (const name of fs.readdirSync(RESOURCES).filter((file) => file.endsWith(".ts"))) {
    const source = fs.readFileSync(path.join(RESOURCES, name), "utf8");
    for (const [, abstract, className, base, body] of source.matchAll(/export (abstract )?class (\w+) extends (\w+) \{\n([\s\S]*?)\n\}/g)) {
      const args = new RegExp(`export interface ${className}Args[^{]*\\{\\n([\\s\\S]*?)\\n\\}`).exec(source)?.[1] ?? "";
      const constructorBody = /constructor\([\s\S]*/.exec(body)?.[0] ?? "";
      classes.set(className, {
        file: name,
        abstract: abstract !== undefined,
        base,
        valueOutputs: [...body.matchAll(/declare readonly (\w+): pulumi\.Output<([^;]*)>;/g)].filter(([, , type]) => !type.includes("undefined")).map(([, key]) => key),
        undefinedKeys: [...constructorBody.matchAll(/(\w+): undefined\b/g)].map(([, key]) => key),
        requiredInputs: [...args.matchAll(/readonly (\w+):/g)].map(([, key]) => key),
      });
    }
  }
  return classes;
}

/** Outputs typed as values that the engine will leave undefined when the optional inputs are left out. */
function unregisteredOutputs(classes: Map<string, ResourceClass>): string[] {
  const chain = (name: string): ResourceClass[] => {
    const found = classes.get(name);
    return found ? [found, ...chain(found.base)] : [];
  };
  const problems: string[] = [];
  for (const [name, resource] of classes) {
    if (resource.abstract) continue;
    const lineage = chain(name);
    const registered = new Set(lineage.flatMap((entry) => [...entry.undefinedKeys, ...entry.requiredInputs]));
    for (const key of lineage.flatMap((entry) => entry.valueOutputs)) if (!registered.has(key)) problems.push(`${resource.file}: ${name}.${key}`);
  }
  return problems;
}

describe("declared outputs (every resource class)", () => {
  const classes = readClasses();

  it("reads every resource class, the shared MarkedRecipient outputs included", () => {
    for (const name of ["AcceptedDomain", "OutboundConnector", "MailUser", "GoogleForwardingRoute", "LicenseAssignment", "DistributionGroup", "MailContact", "MarkedRecipient"]) assert.ok(classes.has(name), name);
    assert.ok(classes.get("MarkedRecipient")!.valueOutputs.includes("alias"));
  });

  it("registers each output typed as a value, so that none is undefined when optional inputs are left out", () => {
    assert.deepEqual(unregisteredOutputs(classes), []);
  });

  it("names an output that only an optional input would register", () => {
    const route = classes.get("GoogleForwardingRoute")!;
    const broken = new Map(classes).set("GoogleForwardingRoute", { ...route, undefinedKeys: route.undefinedKeys.filter((key) => key !== "disposition") });
    assert.deepEqual(unregisteredOutputs(broken), ["googleForwardingRoute.ts: GoogleForwardingRoute.disposition"]);
  });
});
