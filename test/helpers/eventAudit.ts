/** Decodes every log of a chain with the project's ABIs and looks for plaintext identifiers. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Interface, type EventFragment, type Provider, type Result } from "ethers";
import { forbiddenForms, PLAINTEXT_IDS } from "./identifiers.js";

export interface AuditFinding {
  block: number;
  event: string;
  problem: string;
}

function artifactFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...artifactFiles(path));
    else if (name.endsWith(".json") && !name.endsWith(".dbg.json")) out.push(path);
  }
  return out;
}

let cached: Interface | undefined;

/** One interface holding every event of every compiled contract (OpenZeppelin's included). */
export function allEventsInterface(root = "artifacts"): Interface {
  if (cached) return cached;
  const events = new Map<string, EventFragment>();
  for (const file of artifactFiles(root)) {
    const json = JSON.parse(readFileSync(file, "utf8")) as { abi?: unknown[] };
    if (!Array.isArray(json.abi)) continue;
    for (const fragment of new Interface(json.abi as never[]).fragments) {
      if (fragment.type === "event") events.set((fragment as EventFragment).topicHash, fragment as EventFragment);
    }
  }
  cached = new Interface([...events.values()]);
  return cached;
}

function flatten(value: unknown): string[] {
  if (value instanceof Array || (value !== null && typeof value === "object" && "toArray" in value)) {
    return [...(value as Result)].flatMap(flatten);
  }
  if (typeof value === "bigint") return ["0x" + value.toString(16).padStart(64, "0")];
  return [String(value).toLowerCase()];
}

/** Checks decoded event values against every plaintext identifier, in every recognisable form. */
export function auditValues(event: string, values: unknown[], plaintexts: readonly string[] = PLAINTEXT_IDS): string[] {
  const problems: string[] = [];
  const flat = values.flatMap(flatten);
  for (const plain of plaintexts) {
    const lowerPlain = plain.toLowerCase();
    const forms = forbiddenForms(plain);
    for (const v of flat) {
      if (v.includes(lowerPlain)) problems.push(`${event} holds "${plain}" as text`);
      for (const form of forms) {
        if (v.includes(form.slice(2))) problems.push(`${event} holds an unsalted encoding of "${plain}"`);
      }
    }
  }
  return problems;
}

/** Audits every log in every block of the chain behind `provider`. */
export async function auditChain(provider: Provider): Promise<{
  logs: number;
  findings: AuditFinding[];
}> {
  const iface = allEventsInterface();
  const latest = await provider.getBlockNumber();
  const findings: AuditFinding[] = [];
  let logs = 0;
  for (let n = 0; n <= latest; n++) {
    const block = await provider.getBlock(n, false);
    for (const hash of block?.transactions ?? []) {
      const receipt = await provider.getTransactionReceipt(hash);
      for (const log of receipt?.logs ?? []) {
        logs++;
        const parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
        if (!parsed) {
          findings.push({ block: n, event: log.topics[0] ?? "anonymous", problem: "event not decodable" });
          continue;
        }
        for (const problem of auditValues(parsed.name, [...parsed.args])) findings.push({ block: n, event: parsed.name, problem });
      }
    }
  }
  return { logs, findings };
}
