/**
 * The options of a day and their command-line form (`npm run demo -- --vehicles 80 --seed 7`).
 * Every option is checked here; a bad one is a `DayError("BAD_OPTION")` naming it.
 */
import { DayError } from "./errors.js";

export interface DayOptions {
  readonly seed: number;
  readonly suppliers: number;
  readonly aggregators: number;
  readonly vehicles: number;
  /** Ring size of the vehicles' anonymous credentials. */
  readonly ringSize: number;
  /** Where the stores, the deployments file and the reports go. */
  readonly outDir: string;
}

export const DEFAULT_DAY: DayOptions = { seed: 1, suppliers: 3, aggregators: 4, vehicles: 52, ringSize: 8, outDir: "out" };

/** Smallest scale of a day: every aggregator kind once, and roaming between every pair of suppliers. */
export const MIN_SCALE = { suppliers: 2, aggregators: 4, vehicles: 8 } as const;
export const MAX_SCALE = { suppliers: 8, aggregators: 16, vehicles: 2_000 } as const;

const FLAGS: Record<string, keyof Omit<DayOptions, "outDir">> = {
  "--seed": "seed",
  "--suppliers": "suppliers",
  "--aggregators": "aggregators",
  "--vehicles": "vehicles",
  "--ring-size": "ringSize",
};

export const DAY_USAGE = "usage: npm run demo -- [--seed <n>] [--suppliers <n>] [--aggregators <n>] [--vehicles <n>] [--ring-size <n>] [--out <dir>] [--serve <port>]";

/** Checks a complete set of options. */
export function checkDayOptions(o: DayOptions): DayOptions {
  const int = (name: string, v: number, lo: number, hi: number) => {
    if (!Number.isSafeInteger(v) || v < lo || v > hi) throw new DayError("BAD_OPTION", `--${name} must be an integer from ${lo} to ${hi}`, { option: name, value: v });
  };
  int("seed", o.seed, 0, Number.MAX_SAFE_INTEGER);
  int("suppliers", o.suppliers, MIN_SCALE.suppliers, MAX_SCALE.suppliers);
  int("aggregators", o.aggregators, MIN_SCALE.aggregators, MAX_SCALE.aggregators);
  int("vehicles", o.vehicles, MIN_SCALE.vehicles, MAX_SCALE.vehicles);
  int("ring-size", o.ringSize, 2, 64);
  const least = o.suppliers * (o.suppliers - 1) + 2;
  if (o.vehicles < least) {
    throw new DayError("BAD_OPTION", `--vehicles must be at least ${least} with ${o.suppliers} suppliers (roaming between every pair, and a guest at a home charger)`, { option: "vehicles", value: o.vehicles });
  }
  if (o.outDir.length === 0) throw new DayError("BAD_OPTION", "--out must name a directory", { option: "out" });
  return o;
}

/** Parses command-line arguments (after the script name) into checked options. */
export function parseDayArgs(argv: readonly string[], defaults: DayOptions = DEFAULT_DAY): DayOptions {
  const o: { -readonly [K in keyof DayOptions]: DayOptions[K] } = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (flag === "--out") {
      if (value === undefined || value.startsWith("--")) throw new DayError("BAD_OPTION", "--out needs a directory", { option: "out" });
      o.outDir = value;
      i++;
      continue;
    }
    const key = FLAGS[flag];
    if (key === undefined) throw new DayError("BAD_OPTION", `unknown option ${flag}; ${DAY_USAGE}`, { option: flag });
    if (value === undefined || !/^(0|[1-9][0-9]*)$/.test(value)) throw new DayError("BAD_OPTION", `${flag} needs a whole number, got ${value ?? "nothing"}`, { option: flag, value });
    o[key] = Number(value);
    i++;
  }
  return checkDayOptions(o);
}
