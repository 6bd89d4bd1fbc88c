import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A fresh folder for one suite's engine state, removed by the returned cleanup. */
export function tempStateDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `coexist-${prefix}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
