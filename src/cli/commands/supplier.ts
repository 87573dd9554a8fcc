/**
 * `v2g supplier …`: a supplier's collateral in RoamingSettlement, signed by the supplier's account.
 *
 *   supplier setup --amount <units> [--mint]    approve the settlement contract and deposit
 *                                               (--mint first mints the test token, local networks only)
 *   supplier withdraw request --amount <units>  announce a withdrawal (ready after the notice)
 *   supplier withdraw complete --amount <units> withdraw what was announced, once ready
 *   supplier show [address]                     balance, locked, debt, available, pending withdrawal
 */
import type { Command } from "commander";
import { parseAddressArg, parseAmount } from "../args.js";
import { deploymentsPath, openSession, send, type ChainSession } from "../chain.js";
import { commandAction, printResult, type CliContext, type CliDeps, type GlobalOptions } from "../context.js";
import type { CliIo, ExitCodeValue } from "../io.js";

interface AmountOptions {
  deployments?: string;
  amount: string;
  mint?: boolean;
}

async function signed<T>(g: GlobalOptions, deps: CliDeps, file: string | undefined, body: (s: ChainSession, me: string) => Promise<T>): Promise<T> {
  const s = await openSession(g, deps, deploymentsPath(file), true);
  try {
    return await body(s, await s.signer!.getAddress());
  } finally {
    s.close();
  }
}

export async function runSupplierSetup(o: AmountOptions, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  const amount = parseAmount(o.amount, "--amount");
  return signed(g, deps, o.deployments, async (s, me) => {
    const { token, settlement } = s.contracts;
    const hashes: string[] = [];
    if (o.mint) hashes.push((await send("mint", () => token.mint(me, amount))).hash);
    const settlementAddress = s.deployment.contracts.RoamingSettlement.address;
    hashes.push((await send("approve", () => token.approve(settlementAddress, amount))).hash);
    hashes.push((await send("deposit", () => settlement.deposit(amount))).hash);
    const available = (await settlement.availableOf(me)) as bigint;
    return printResult(io, g, `${me} deposited ${amount}; available collateral ${available}`, { supplier: me, deposited: amount, available, txHashes: hashes });
  });
}

export async function runWithdrawRequest(o: AmountOptions, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  const amount = parseAmount(o.amount, "--amount");
  return signed(g, deps, o.deployments, async (s, me) => {
    const receipt = await send("requestWithdrawal", () => s.contracts.settlement.requestWithdrawal(amount));
    const [, readyAt] = (await s.contracts.settlement.withdrawalOf(me)) as [bigint, bigint];
    return printResult(io, g, `${me} may withdraw ${amount} from ${readyAt} (tx ${receipt.hash})`, { account: me, amount, readyAt, txHash: receipt.hash });
  });
}

export async function runWithdrawComplete(o: AmountOptions, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  const amount = parseAmount(o.amount, "--amount");
  return signed(g, deps, o.deployments, async (s, me) => {
    const receipt = await send("withdraw", () => s.contracts.settlement.withdraw(amount));
    return printResult(io, g, `${me} withdrew ${amount} (tx ${receipt.hash})`, { account: me, amount, txHash: receipt.hash });
  });
}

export async function runSupplierShow(o: { deployments?: string; address?: string }, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  const given = o.address === undefined ? undefined : parseAddressArg(o.address, "the address");
  const s = await openSession(g, deps, deploymentsPath(o.deployments), given === undefined);
  try {
    const who = given ?? (await s.signer!.getAddress());
    const c = s.contracts.settlement;
    const [balance, locked, debt, available, [pending, readyAt]] = (await Promise.all([
      c.balanceOf(who), c.lockedOf(who), c.debtOf(who), c.availableOf(who), c.withdrawalOf(who),
    ])) as [bigint, bigint, bigint, bigint, [bigint, bigint]];
    const data = { account: who, balance, locked, debt, available, withdrawal: { amount: pending, readyAt } };
    const text = `${who}: balance ${balance}, locked ${locked}, debt ${debt}, available ${available}${pending > 0n ? `; withdrawal of ${pending} ready at ${readyAt}` : ""}`;
    return printResult(io, g, text, data);
  } finally {
    s.close();
  }
}

export function registerSupplier(program: Command, ctx: CliContext): void {
  const dep = ["--deployments <file>", "deployments file (default deployments/local.json)"] as const;
  const amount = ["--amount <units>", "token base units (the test token has six decimals)"] as const;
  const supplier = program.command("supplier").description("a supplier's collateral in the settlement contract");
  supplier
    .command("setup")
    .description("approve the settlement contract and deposit collateral (signed by the supplier)")
    .requiredOption(...amount)
    .option("--mint", "mint the amount of the test token first (local networks)")
    .option(...dep)
    .action(commandAction(ctx, runSupplierSetup, (_a, o: AmountOptions) => o));
  supplier
    .command("show")
    .description("collateral of a supplier (default: the signer's)")
    .argument("[address]", "the supplier's account")
    .option(...dep)
    .action(commandAction(ctx, runSupplierShow, ([address], o: { deployments?: string }) => ({ ...o, address })));
  const withdraw = supplier.command("withdraw").description("the two-step withdrawal of collateral");
  withdraw
    .command("request")
    .description("announce a withdrawal; it is ready after the contract's notice")
    .requiredOption(...amount)
    .option(...dep)
    .action(commandAction(ctx, runWithdrawRequest, (_a, o: AmountOptions) => o));
  withdraw
    .command("complete")
    .description("withdraw an announced amount once it is ready")
    .requiredOption(...amount)
    .option(...dep)
    .action(commandAction(ctx, runWithdrawComplete, (_a, o: AmountOptions) => o));
}
