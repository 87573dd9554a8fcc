/**
 * Child process for the crash test: opens the outbox on a database file, enqueues one intent,
 * signs it (stored with its nonce), prints the hash, and SIGKILLs itself before sending.
 * Runs only as a script (`node --import tsx signThenDie.ts`), never when imported.
 */
import { pathToFileURL } from "node:url";
import { Wallet } from "ethers";
import { BotDatabase } from "../../../src/chain/db.js";
import { Outbox } from "../../../src/chain/outbox.js";
import { ChainRpc, httpProvider } from "../../../src/chain/rpc.js";

export interface SignThenDieArgs {
  url: string;
  dbPath: string;
  privateKey: string;
  chainId: string;
  intent: { key: string; label: string; to: string; data: string };
}

async function main(args: SignThenDieArgs): Promise<void> {
  const db = BotDatabase.open(args.dbPath);
  const outbox = await Outbox.open({
    db,
    rpc: new ChainRpc(httpProvider(args.url)),
    signer: new Wallet(args.privateKey),
    chainId: BigInt(args.chainId),
  });
  outbox.enqueue(args.intent);
  await outbox.signPending();
  process.stdout.write(`signed ${outbox.get(args.intent.key)!.txHash}\n`);
  process.kill(process.pid, "SIGKILL");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(JSON.parse(process.env.SIGN_THEN_DIE_ARGS ?? "{}") as SignThenDieArgs);
}
