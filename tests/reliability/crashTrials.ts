/**
 * Item 2: `kill -9` of the whole engine process group (CLI, language host, program, provider
 * plugin) at a seeded random moment of `pulumi up`, then the recovery of docs/recovery.md:
 * `pulumi cancel` (the file backend's lock of the dead update), `pulumi refresh
 * --clear-pending-creates`, then `pulumi up`, which must converge with no
 * duplicate and no orphan and with every mail-flow cell delivered. The trials walk the journey's
 * stages in turn (creates, updates and deletes all get interrupted) and start a fresh tenant and
 * stack after the last stage.
 */
import { seededRandom } from "pulumi-mail-coexistence-sandbox/faults";
import { applyStageDns, checkMailFlow, configureStage, ROUTING, stages } from "../../scripts/journey";
import { graphClient, trustCa } from "../sandbox/harness";
import { Transcript, World } from "./world";

export const CRASH_SEED = 4242;

/** The resources' notes when a create finds the identical object an interrupted create left. */
const LEFTOVER_TAKEN_OVER = /taking it over|taking the assignment over|\(an earlier run was interrupted\?\); (adopted|took) it/g;

/** The refusal of a RoutingDomain create that finds the domain a killed run added (docs/recovery.md, "When it is not enough"). */
const DOMAIN_WITHOUT_MARK = /RoutingDomain: \S+ is already in the tenant .*A domain carries no mark/;

/** Kill delays, counted from the engine's first operation on one of our resources in the `up`. */
const KILL_WINDOW_MS: [number, number] = [0, 3_000];

export interface CrashTrialsResult {
  trials: number;
  /** Trials whose `up` was still running when it was killed. */
  interrupted: number;
  /** Trials that left pending operations in the state. */
  pending: number;
  /**
   * Trials whose recovery took over objects the killed `up` had made but not recorded, and the
   * take-over notes (the engine prints each note inline and again in its diagnostics summary).
   */
  withLeftovers: number;
  adopted: number;
  /** Recoveries that needed the runbook's routing-domain step: one `up` with `coexist:adopt true`. */
  domainAdoptions: number;
  duplicates: string[];
  orphans: string[];
  failures: string[];
}

export async function runCrashTrials(trials: number, transcript: Transcript, log: (line: string) => void): Promise<CrashTrialsResult> {
  const random = seededRandom(CRASH_SEED);
  const result: CrashTrialsResult = { trials: 0, interrupted: 0, pending: 0, withLeftovers: 0, adopted: 0, domainAdoptions: 0, duplicates: [], orphans: [], failures: [] };
  const fresh = (): Promise<World> => World.start({ name: "crashes", users: 3, departments: 3, transcript });
  let world = await fresh();
  let stageIndex = 0;
  /** Whether this world's routing domain was adopted by the runbook's step, so decommission keeps it. */
  let domainAdopted = false;
  try {
    for (let trial = 1; trial <= trials; trial++) {
      const stage = stages[stageIndex];
      const delayMs = Math.round(KILL_WINDOW_MS[0] + (KILL_WINDOW_MS[1] - KILL_WINDOW_MS[0]) * random());
      const batches = await configureStage(world.stack, stage, world.population.departments);
      const killed = await world.killedUp(delayMs);
      result.trials++;
      if (killed) result.interrupted++;
      const pending = world.pendingOperations();
      if (pending > 0) result.pending++;
      const label = `trial ${trial} (stage "${stage.name}", kill ${delayMs} ms into its operations${killed ? "" : ", up had already finished"})`;
      let recovered = false;
      try {
        if (killed) await world.run(`cancel after ${label}`, () => world.stack.run(["cancel", "--yes"]));
        await world.run(`refresh after ${label}`, () => world.stack.refresh(["--clear-pending-creates"]));
        const recovery = await world.run(`up after ${label}`, () => world.stack.up()).catch(async (error: Error) => {
          if (!DOMAIN_WITHOUT_MARK.test(error.message)) throw new Error(`the up after the recovery failed: ${error.message}`);
          // The runbook's step for a run killed while adding the routing domain: the domain is the
          // killed run's (this stack's name, nothing else uses it), so one up with adopt.
          result.domainAdoptions++;
          domainAdopted = true;
          await world.stack.setConfig({ "coexist:adopt": "true" });
          const adopting = await world.run(`up with adopt after ${label}`, () => world.stack.up()).catch((second: Error) => {
            throw new Error(`the up with coexist:adopt true after the recovery failed: ${second.message}`);
          });
          await world.stack.run(["config", "rm", "coexist:adopt"]);
          return adopting;
        });
        const adopted = `${recovery.stdout}\n${recovery.stderr}`.match(LEFTOVER_TAKEN_OVER)?.length ?? 0;
        result.adopted += adopted;
        if (adopted > 0) result.withLeftovers++;
        await applyStageDns(world.sandbox, stage);
        if (domainAdopted && stage === stages[stages.length - 1]) {
          // Decommission keeps an adopted domain; the runbook says to delete it by hand afterwards.
          trustCa(world.sandbox.env.NODE_EXTRA_CA_CERTS);
          await graphClient(world.sandbox).api(`/domains/${ROUTING}`).delete();
        }
        const inventory = await world.inventory();
        result.duplicates.push(...inventory.duplicates.map((d) => `${label}: ${d}`));
        result.orphans.push(...inventory.orphans.map((o) => `${label}: ${o}`));
        const totals = await checkMailFlow(world.sandbox, stage, batches, world.population, Number.MAX_SAFE_INTEGER);
        log(`crashes: ${label}: ${pending} pending operation(s); recovered with ${adopted} take-over note(s); ${totals.delivered}/${totals.cells} cells delivered; duplicates ${inventory.duplicates.length}, orphans ${inventory.orphans.length}`);
        recovered = true;
      } catch (error) {
        result.failures.push(`${label}: ${(error as Error).message}`);
        log(`crashes: ${label}: FAILED: ${(error as Error).message.split("\n").slice(0, 40).join("\n")}`);
      }
      // After the last stage, or after a world that did not recover (every later trial would fail
      // for the same reason), the next trial starts the journey again on a fresh tenant and stack.
      stageIndex = recovered ? (stageIndex + 1) % stages.length : 0;
      if (stageIndex === 0 && trial < trials) {
        await world.stop();
        world = await fresh();
        domainAdopted = false;
      }
    }
  } finally {
    await world.stop();
  }
  return result;
}
