/**
 * The network services and their client:
 *
 *   lag serve --config <file>                      the LAG service (stops cleanly on SIGTERM/SIGINT, exit 0)
 *   ca serve --config <file>                       the CA service (likewise)
 *   vehicle authenticate --lag <url> --credential <file> --ca <file>
 *                                                  one charging → FC authentication over the network
 *   deployment init --dir <dir> [--members n] [--ring-size n] [--lag-id id]
 *                                                  a local deployment (CA keys, group, LAG, vehicles) to try them
 *
 * Exit codes: 0 done, 1 the LAG refused the vehicle, 2 bad config, file or key.
 */
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { pino } from "pino";
import { bytesToHex, createSodiumBackend } from "../../crypto/index.js";
import { partyContext, ProtocolError } from "../../protocol/index.js";
import { startCaService } from "../../services/caServer.js";
import { caServiceOptions, lagServiceOptions, loadCaConfig, loadLagConfig } from "../../services/config.js";
import { readCaPublic, readCredential, writeDeployment } from "../../services/deployment.js";
import { startLagService } from "../../services/lagServer.js";
import { authenticateAtLag, LagClient } from "../../services/vehicleClient.js";
import type { CliContext } from "../context.js";
import { ExitCode, type CliIo, type ExitCodeValue } from "../io.js";

function failure(io: CliIo, error: unknown): ExitCodeValue {
  if (error instanceof ProtocolError) {
    io.err(`error: ${error.shortMessage} [${error.code}]`);
    return error.code === "INVALID_CONFIG" || error.code === "MALFORMED" ? ExitCode.BadInput : ExitCode.NotOk;
  }
  throw error;
}

/** Waits for `signal` to abort (default: SIGTERM or SIGINT). */
function untilStopped(signal?: AbortSignal): Promise<void> {
  return new Promise<void>((done) => {
    if (signal !== undefined) return signal.addEventListener("abort", () => done(), { once: true });
    process.once("SIGTERM", () => done());
    process.once("SIGINT", () => done());
  });
}

/** Runs the LAG service until `signal` aborts (default: SIGTERM or SIGINT); then drains. */
export async function runLagServe(opts: { config: string }, io: CliIo, signal?: AbortSignal): Promise<ExitCodeValue> {
  let service;
  try {
    const config = loadLagConfig(opts.config);
    const logger = pino({ level: config.logLevel });
    const ctx = partyContext(await createSodiumBackend());
    service = await startLagService(await lagServiceOptions(config, ctx, logger));
  } catch (error) {
    return failure(io, error);
  }
  io.out(`LAG service listening on ${service.url}`);
  await untilStopped(signal);
  await service.stop();
  return ExitCode.Ok;
}

/** Runs the CA service until `signal` aborts (default: SIGTERM or SIGINT); then drains. */
export async function runCaServe(opts: { config: string }, io: CliIo, signal?: AbortSignal): Promise<ExitCodeValue> {
  let service;
  try {
    const config = loadCaConfig(opts.config);
    const logger = pino({ level: config.logLevel });
    const ctx = partyContext(await createSodiumBackend());
    service = await startCaService(caServiceOptions(config, ctx, logger));
  } catch (error) {
    return failure(io, error);
  }
  io.out(`CA service listening on ${service.url}`);
  await untilStopped(signal);
  await service.stop();
  return ExitCode.Ok;
}

/** One authentication of a vehicle at a LAG service. */
export async function runVehicleAuthenticate(opts: { lag: string; credential: string; ca: string }, io: CliIo): Promise<ExitCodeValue> {
  const client = new LagClient(opts.lag);
  try {
    const b = await createSodiumBackend();
    const credential = readCredential(b, opts.credential, dirname(resolve(opts.credential)));
    const result = await authenticateAtLag(client, partyContext(b), credential, readCaPublic(opts.ca));
    io.out(JSON.stringify({ session: bytesToHex(result.channel.id), lagId: new TextDecoder().decode(result.lagId), digest: result.digest }));
    return ExitCode.Ok;
  } catch (error) {
    return failure(io, error);
  } finally {
    client.close();
  }
}

/** Writes a local deployment and a `lag.config.json` for it. */
export async function runDeploymentInit(opts: { dir: string; members: number; ringSize: number; lagId: string }, io: CliIo): Promise<ExitCodeValue> {
  try {
    const ctx = partyContext(await createSodiumBackend());
    const d = writeDeployment(ctx, opts.dir, { lagId: opts.lagId, members: opts.members, ringSize: opts.ringSize });
    const config = {
      lagId: opts.lagId,
      staticKey: { file: d.files.lagKey },
      permitFile: d.files.permit,
      caPublicFile: d.files.caPublic,
      groupFiles: [d.files.group],
      keyImages: { sqlite: "key-images.db" },
    };
    writeFileSync(join(opts.dir, "lag.config.json"), `${JSON.stringify(config, null, 2)}\n`);
    const caConfig = {
      permitKey: { file: d.files.caKeys.permit },
      escrowKey: { file: d.files.caKeys.escrow },
      envelopeKey: { file: d.files.caKeys.envelope },
      groupFiles: [d.files.group],
      lagPermitFiles: [d.files.permit],
      rounds: { sqlite: "ca-rounds.db" },
    };
    writeFileSync(join(opts.dir, "ca.config.json"), `${JSON.stringify(caConfig, null, 2)}\n`);
    io.out(`deployment written to ${opts.dir}: lag.config.json, ca.config.json, ${opts.members} vehicle credentials`);
    return ExitCode.Ok;
  } catch (error) {
    return failure(io, error);
  }
}

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 2) throw new ProtocolError("INVALID_CONFIG", `expected an integer ≥ 2, got ${v}`);
  return n;
};

export function registerServices(program: Command, ctx: CliContext): void {
  const lag = program.command("lag").description("the local aggregator (LAG) service");
  lag
    .command("serve")
    .description("run the LAG service (HTTP and WebSocket) until SIGTERM")
    .requiredOption("--config <file>", "the service's config file (JSON)")
    .action(async (o: { config: string }) => {
      ctx.exitCode = await runLagServe(o, ctx.io);
    });
  program
    .command("ca")
    .description("the central authority (CA) service")
    .command("serve")
    .description("run the CA service (HTTP) until SIGTERM")
    .requiredOption("--config <file>", "the service's config file (JSON)")
    .action(async (o: { config: string }) => {
      ctx.exitCode = await runCaServe(o, ctx.io);
    });
  program
    .command("vehicle")
    .description("the vehicle (BV) side over the network")
    .command("authenticate")
    .description("one charging → FC authentication at a LAG service")
    .requiredOption("--lag <url>", "the LAG service's URL")
    .requiredOption("--credential <file>", "the vehicle's credential file")
    .requiredOption("--ca <file>", "the CA's public keys file")
    .action(async (o: { lag: string; credential: string; ca: string }) => {
      ctx.exitCode = await runVehicleAuthenticate(o, ctx.io);
    });
  program
    .command("deployment")
    .description("local deployments of the services")
    .command("init")
    .description("write CA public keys, one group, one LAG and its vehicles' credentials")
    .requiredOption("--dir <dir>", "where to write")
    .option("--members <n>", "vehicles in the group", int, 32)
    .option("--ring-size <n>", "ring size of the credentials", int, 16)
    .option("--lag-id <id>", "the LAG's id", "LAG-Local-1")
    .action(async (o: { dir: string; members: number; ringSize: number; lagId: string }) => {
      ctx.exitCode = await runDeploymentInit(o, ctx.io);
    });
}
