import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { BotDatabase } from "../../src/chain/db.js";
import { openBotTables, SETTLEMENT_MIGRATIONS } from "../../src/settlement/botStore.js";

describe("settlement bot: its database schema", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "settlement-store-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("should migrate a version 1 database: decisions kept, package hashes, claim-level disputes, shortfalls and netting sightings added", () => {
    const path = join(dir, "bot.sqlite");
    const id = { account: Wallet.createRandom().address, chainId: 31337n, settlement: Wallet.createRandom().address };
    const old = BotDatabase.open(path);
    old.migrate("settlement", SETTLEMENT_MIGRATIONS.slice(0, 1));
    old.run(
      `INSERT INTO chain_claims (claim_id, period, creditor, debtor, amount, cdr_root, cdr_count, evidence_root, deadline, block_number)
       VALUES ('7', 1, 'c', 'd', '5', '0x01', 1, '0x02', 100, 3)`,
    );
    old.run("INSERT INTO decisions (claim_id, cdr_root, verdict, reason, decided_at) VALUES ('7', '0x01', 'unverifiable', 'PACKAGE_MISSING', 1)");
    old.close();

    const db = BotDatabase.open(path);
    try {
      openBotTables(db, id);
      expect(db.schemaVersion("settlement")).to.equal(5);
      expect(db.all("SELECT * FROM chain_pairs")).to.deep.equal([]);
      // Version 4: a netting's shortfall is kept; the unused table of periods is gone.
      db.run("INSERT INTO chain_pairs (period, creditor, debtor, block_number) VALUES (1, 'c', 'd', 5)");
      expect(db.get("SELECT shortfall FROM chain_pairs")).to.deep.equal({ shortfall: "0" });
      expect(db.get("SELECT name FROM sqlite_master WHERE name = 'chain_periods'")).to.equal(undefined);
      // Version 5: when the second netter of a pair first saw it ready, one row per pair.
      db.run("INSERT INTO netting_waits (period, other, seen_at, seen_block) VALUES (1, 'c', 100, 5)");
      expect(() => db.run("INSERT INTO netting_waits (period, other, seen_at, seen_block) VALUES (1, 'c', 200, 6)")).to.throw();
      expect(db.get("SELECT verdict, reason FROM decisions WHERE claim_id = '7'")).to.deep.include({ verdict: "unverifiable", reason: "PACKAGE_MISSING" });
      expect(db.get("SELECT package_hash FROM chain_claims WHERE claim_id = '7'")).to.deep.include({ package_hash: null });
      db.run("UPDATE decisions SET verdict = 'claim-dispute', action_key = 'claim-dispute:7' WHERE claim_id = '7'");
      db.run("INSERT INTO chain_claim_disputes (dispute_id, claim_id, reason, block_number) VALUES ('1', '7', '0x00', 4)");
      expect(() => db.run("UPDATE decisions SET verdict = 'maybe' WHERE claim_id = '7'")).to.throw();
      expect(db.integrityCheck()).to.equal("ok");
    } finally {
      db.close();
    }
  });
});
