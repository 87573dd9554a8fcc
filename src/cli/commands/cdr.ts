/**
 * `v2g cdr import <file> --store <db> --supplier <address> [--deployments <file>]`: signs each CDR
 * of the file (cdrFile.ts) as a ChargeDetailRecord from the supplier with its evidence key
 * (`--key-file`/`--key-env`) and stores them in the supplier's evidence store, all or none.
 * A CDR id the store already holds is skipped, so importing a file twice stores it once.
 * A new store takes its domain (chain, ledger) from `--deployments`.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { parseAddressArg, parseExistingFile, UsageError, userFolder } from "../args.js";
import { parseCdrFile } from "../cdrFile.js";
import { commandAction, printResult, type CliContext, type CliDeps, type GlobalOptions } from "../context.js";
import type { CliIo, ExitCodeValue } from "../io.js";
import { loadKey } from "../keys.js";

export interface CdrImportOptions {
  file: string;
  store: string;
  supplier: string;
  deployments?: string;
}

/** Rows read per page when collecting the CDR ids a store already holds. */
const PAGE = 500;

export async function runCdrImport(o: CdrImportOptions, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  const file = parseExistingFile(o.file, "the CDR file");
  const supplier = parseAddressArg(o.supplier, "--supplier");
  const storePath = resolve(userFolder(), o.store);
  const isNew = !existsSync(storePath);
  if (isNew && o.deployments === undefined) throw new UsageError("--store does not exist: give --deployments to create it for that deployment's ledger");
  const lines = parseCdrFile(readFileSync(file, "utf8"), o.file);
  const key = loadKey(g.key, "--key", deps.env);
  const [{ EvidenceStore }, { evidenceDomain }, { flowHeader, signFlowMessage }] = await Promise.all([
    import("../../evidence/store.js"), import("../../evidence/types.js"), import("../../charging/flowEvidence.js"),
  ]);
  let domain: { chainId: bigint; verifyingContract: string } | undefined;
  if (o.deployments !== undefined) {
    const { readDeployments } = await import("../../chain/deployAll.js");
    const d = readDeployments(parseExistingFile(o.deployments, "--deployments"));
    domain = { chainId: BigInt(d.chainId), verifyingContract: d.contracts.EvidenceLedger.address };
  }
  // An existing store is checked against the deployment's domain (EvidenceError when they differ).
  const store = EvidenceStore.open(storePath, { domain, create: isNew });
  try {
    const known = new Set<string>();
    for (let cursor = 0; ;) {
      const page = store.messagesOfType("ChargeDetailRecord", cursor, PAGE);
      page.messages.forEach((m) => known.add(m.body.cdrId.toLowerCase()));
      if (page.messages.length < PAGE) break;
      cursor = page.cursor;
    }
    const fresh = lines.filter((l) => !known.has(l.cdr.cdrId));
    const typed = evidenceDomain(store.chainId, store.ledger);
    const party = { address: supplier, key };
    const signed = await Promise.all(fresh.map((l) =>
      signFlowMessage(party, typed, "ChargeDetailRecord", flowHeader(l.sessionId, l.seq, l.issuedAt, l.expiresAt, l.cdr.homeSupplier), { ...l.cdr, hostSupplier: supplier })));
    const results = store.transaction(() => store.putMessages(signed));
    const inserted = results.filter((r) => r.status === "inserted").map((r) => r.digest);
    const skipped = lines.length - inserted.length;
    return printResult(io, g, `imported ${inserted.length} CDRs into ${o.store}${skipped ? ` (${skipped} already stored)` : ""}`,
      { store: storePath, imported: inserted.length, skipped, digests: inserted });
  } finally {
    store.close();
  }
}

export function registerCdr(program: Command, ctx: CliContext): void {
  program
    .command("cdr")
    .description("charge detail records in a supplier's evidence store")
    .command("import")
    .description("sign the CDRs of a file as the supplier (evidence key from --key-file/--key-env) and store them, all or none")
    .argument("<file>", "CDRs as JSON Lines or a JSON array (see docs/cli.md)")
    .requiredOption("--store <db>", "the supplier's evidence store (SQLite file)")
    .requiredOption("--supplier <address>", "the supplier's account (the CDRs' host supplier)")
    .option("--deployments <file>", "deployments file: the domain of a new store, checked against an existing one")
    .action(commandAction(ctx, runCdrImport, ([file], o: Omit<CdrImportOptions, "file">) => ({ ...o, file: file! })));
}
