/**
 * The benchmark's rows, one per N, profile and operation, and their chart (bench/results/latest.svg).
 */
import type { ThrottlingProfile } from "pulumi-mail-coexistence-sandbox/throttlingProfiles";

export const OPERATIONS = ["up", "preview", "batch", "noop", "refresh", "destroy"] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface BenchRow {
  n: number;
  /** The throttling profile the sandbox answered with (sandbox/throttlingProfiles.ts). */
  profile: ThrottlingProfile;
  operation: Operation;
  wallSeconds: number;
  idealSeconds: number;
  baselineSeconds: number | null;
  apiReads: number;
  apiWrites: number;
  /** Throttled answers the provider received (429s and Exchange's concurrency refusals), counted in the reads and writes. */
  throttled: number;
  peakRssMiB: number;
  stateBytes: number;
  /** Stacks the operation ran on: 1, or the tenant stack and one per batch. */
  stacks: number;
  /** The machine's 1-minute load average when the operation started (2 cores; other work runs beside the bench). */
  load1: number;
}

// ---------------------------------------------------------------------------------------------
// The chart: log-log, time against N for `up` of the full set-up, per profile, with its ideal and the baseline.

const PROFILE_COLORS = ["#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"];

export function chartSvg(rows: BenchRow[]): string {
  const ups = rows.filter((row) => row.operation === "up").sort((a, b) => a.n - b.n);
  const profiles = [...new Set(ups.map((row) => row.profile))];
  const series = [
    ...profiles.flatMap((profile, index) => {
      const color = PROFILE_COLORS[index % PROFILE_COLORS.length];
      const own = ups.filter((row) => row.profile === profile);
      return [
        { name: `pulumi up, ${profile}`, color, dashed: false, points: own.map((row) => [row.n, row.wallSeconds]) },
        { name: `ideal, ${profile}`, color, dashed: true, points: own.map((row) => [row.n, row.idealSeconds]) },
      ];
    }),
    {
      name: "sequential baseline",
      color: "#d62728",
      dashed: false,
      points: [...new Map(ups.filter((row) => row.baselineSeconds !== null).map((row) => [row.n, [row.n, row.baselineSeconds as number]])).values()],
    },
  ];
  const values = series.flatMap((s) => s.points).filter(([, seconds]) => seconds > 0);
  const width = 640;
  const height = 460;
  const margin = { left: 70, right: 20, top: 40, bottom: 60 };
  const decades = (list: number[]): [number, number] => [Math.floor(Math.log10(Math.min(...list))), Math.ceil(Math.log10(Math.max(...list)))];
  const [xLow, xHigh] = decades([...values.map(([n]) => n), 100, 10_000]);
  const [yLow, yHigh] = decades(values.map(([, seconds]) => seconds).concat(1));
  const x = (n: number) => margin.left + ((Math.log10(n) - xLow) / Math.max(1, xHigh - xLow)) * (width - margin.left - margin.right);
  const y = (s: number) => height - margin.bottom - ((Math.log10(s) - yLow) / Math.max(1, yHigh - yLow)) * (height - margin.top - margin.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14">pulumi up of the full set-up: wall time against users (log-log)</text>`,
  ];
  for (let d = xLow; d <= xHigh; d++) {
    parts.push(`<line x1="${x(10 ** d)}" y1="${margin.top}" x2="${x(10 ** d)}" y2="${height - margin.bottom}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(10 ** d)}" y="${height - margin.bottom + 16}" text-anchor="middle">${(10 ** d).toLocaleString("en")}</text>`);
  }
  for (let d = yLow; d <= yHigh; d++) {
    parts.push(`<line x1="${margin.left}" y1="${y(10 ** d)}" x2="${width - margin.right}" y2="${y(10 ** d)}" stroke="#ddd"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y(10 ** d) + 4}" text-anchor="end">${10 ** d} s</text>`);
  }
  parts.push(`<text x="${width / 2}" y="${height - 20}" text-anchor="middle">users (N)</text>`);
  series.forEach((s, index) => {
    const points = s.points.filter(([, seconds]) => seconds > 0);
    const dash = s.dashed ? ` stroke-dasharray="5,4"` : "";
    if (points.length > 1) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${points.map(([n, sec]) => `${x(n).toFixed(1)},${y(sec).toFixed(1)}`).join(" ")}"/>`);
    for (const [n, sec] of points) parts.push(`<circle cx="${x(n).toFixed(1)}" cy="${y(sec).toFixed(1)}" r="3.5" fill="${s.dashed ? "white" : s.color}" stroke="${s.color}"/>`);
    const legendY = margin.top + 8 + index * 16;
    parts.push(`<rect x="${margin.left + 10}" y="${legendY - 9}" width="12" height="12" fill="${s.dashed ? "white" : s.color}" stroke="${s.color}"/><text x="${margin.left + 28}" y="${legendY + 1}">${s.name}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
