/**
 * The network services and their client:
 *
 *   lag serve --config <file>                      the LAG service (stops cleanly on SIGTERM/SIGINT, exit 0)
 *   ca serve --config <file>                       the CA service (likewise)
 *   vehicle authenticate --lag <url> --credential <file> --ca <file>
 *                                                  one charging → FC authentication over the network
 *   vehicle answer-discharge --lag <url> --credential <file> --ca <file> (--accept | --decline) [--wait-seconds n]
 *                                                  authenticate, wait for a discharge offer on the session, answer it
 *   ca discharge-request --ca <url> --lag-id <id> --energy-wh <n> [--valid-seconds n] [--lag <url>] [--token-file <file>]
 *                                                  the CA's operator issues a discharge request (and hands it to the LAG)
 *   ca discharge-tally --ca <url> --request-id <hex> [--token-file <file>]
 *                                                  the answers in force for a request
 *   deployment init --dir <dir> [--members n] [--ring-size n] [--lag-id id]
 *                                                  a local deployment (CA keys, group, LAG, vehicles) to try them
 *
 * The operator's token comes from `--token-file` or the environment variable `V2G_CA_OPERATOR_TOKEN`
 * (never from an argument). Exit codes from the table: 0 done, 2 bad config, file, key or input,
 * 3 a service unreachable, 4 a service refused (the vehicle, or the operator's token), 5 unknown request.
 */
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { parseInteger, UsageError } from "../args.js";
import { guarded, untilStopped, type CliContext } from "../context.js";
import { ExitCode, type CliIo, type ExitCodeValue } from "../io.js";

/** What a running service offers the command: its URL and how to stop it. */
interface RunningService {
  url: string;
  stop(): Promise<void>;
}

/** Runs a service until `signal` aborts (default: SIGTERM or SIGINT); then drains it and exits 0. */
async function serve(name: string, start: () => Promise<RunningService>, io: CliIo, signal?: AbortSignal): Promise<ExitCodeValue> {
  const service = await start();
  io.out(`${name} service listening on ${service.url}`);
  await untilStopped(signal);
  await service.stop();
  return ExitCode.Ok;
}

async function partyContextOf() {
  const [{ createSodiumBackend }, { partyContext }] = await Promise.all([import("../../crypto/index.js"), import("../../protocol/index.js")]);
  return partyContext(await createSodiumBackend());
}

/** Runs the LAG service until `signal` aborts (default: SIGTERM or SIGINT); then drains. */
export async function runLagServe(opts: { config: string; json?: boolean }, io: CliIo, signal?: AbortSignal): Promise<ExitCodeValue> {
  return guarded(io, async () => {
    const [{ pino }, { lagServiceOptions, loadLagConfig }, { startLagService }] = await Promise.all([
      import("pino"), import("../../services/config.js"), import("../../services/lagServer.js"),
    ]);
    const config = loadLagConfig(opts.config);
    const ctx = await partyContextOf();
    return serve("LAG", async () => startLagService(await lagServiceOptions(config, ctx, pino({ level: config.logLevel }))), io, signal);
  }, opts.json);
}

/** Runs the CA service until `signal` aborts (default: SIGTERM or SIGINT); then drains. */
export async function runCaServe(opts: { config: string; json?: boolean }, io: CliIo, signal?: AbortSignal): Promise<ExitCodeValue> {
  return guarded(io, async () => {
    const [{ pino }, { caServiceOptions, loadCaConfig }, { startCaService }] = await Promise.all([
      import("pino"), import("../../services/config.js"), import("../../services/caServer.js"),
    ]);
    const config = loadCaConfig(opts.config);
    const ctx = await partyContextOf();
    return serve("CA", () => startCaService(caServiceOptions(config, ctx, pino({ level: config.logLevel }))), io, signal);
  }, opts.json);
}

/** One authentication of a vehicle at a LAG service. */
export async function runVehicleAuthenticate(opts: { lag: string; credential: string; ca: string; json?: boolean }, io: CliIo): Promise<ExitCodeValue> {
  return guarded(io, async () => {
    const [{ bytesToHex, createSodiumBackend }, { partyContext }, { readCaPublic, readCredential }, { authenticateAtLag, LagClient }] = await Promise.all([
      import("../../crypto/index.js"), import("../../protocol/index.js"), import("../../services/deployment.js"), import("../../services/vehicleClient.js"),
    ]);
    const client = new LagClient(opts.lag);
    try {
      const b = await createSodiumBackend();
      const credential = readCredential(b, opts.credential, dirname(resolve(opts.credential)));
      const result = await authenticateAtLag(client, partyContext(b), credential, readCaPublic(opts.ca));
      io.out(JSON.stringify({ session: bytesToHex(result.channel.id), lagId: new TextDecoder().decode(result.lagId), digest: result.digest }));
      return ExitCode.Ok;
    } finally {
      client.close();
    }
  }, opts.json);
}

/** Authenticates, polls the session until a discharge offer arrives (at most `waitSeconds`), and answers the latest one. */
export async function runVehicleAnswerDischarge(
  opts: { lag: string; credential: string; ca: string; accept: boolean; waitSeconds: number; json?: boolean },
  io: CliIo,
): Promise<ExitCodeValue> {
  return guarded(io, async () => {
    const [{ bytesToHex, createSodiumBackend }, { partyContext, ProtocolError }, { readCaPublic, readCredential }, { authenticateAtLag, LagClient, VehicleSessionClient }] = await Promise.all([
      import("../../crypto/index.js"), import("../../protocol/index.js"), import("../../services/deployment.js"), import("../../services/vehicleClient.js"),
    ]);
    const client = new LagClient(opts.lag);
    try {
      const b = await createSodiumBackend();
      const ctx = partyContext(b);
      const credential = readCredential(b, opts.credential, dirname(resolve(opts.credential)));
      const ca = readCaPublic(opts.ca);
      const auth = await authenticateAtLag(client, ctx, credential, ca);
      const session = new VehicleSessionClient(client, ctx, auth, ca, credential);
      const until = Date.now() + opts.waitSeconds * 1000;
      await session.drain();
      while (session.offers.length === 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 250));
        await session.drain();
      }
      const offer = session.offers.at(-1);
      if (offer === undefined) throw new ProtocolError("UNAVAILABLE", `no discharge request was offered within ${opts.waitSeconds} s`);
      const receipt = await session.answerDischarge(offer.requestId, opts.accept);
      io.out(JSON.stringify({ session: bytesToHex(auth.channel.id), requestId: receipt.requestId, energyWh: offer.energyWh.toString(), accepted: opts.accept, applied: receipt.applied }));
      return ExitCode.Ok;
    } finally {
      client.close();
    }
  }, opts.json);
}

/** The environment variable the operator's token is read from when no `--token-file` is given. */
export const OPERATOR_TOKEN_ENV = "V2G_CA_OPERATOR_TOKEN";

async function operatorClient(ca: string, tokenFile: string | undefined, env: Readonly<Record<string, string | undefined>>) {
  const [{ readSecretText }, { CaOperatorClient }, { MIN_TOKEN_CHARS }] = await Promise.all([
    import("../../services/deployment.js"), import("../../services/caClient.js"), import("../../services/operatorToken.js"),
  ]);
  const token = readSecretText(tokenFile === undefined ? { env: OPERATOR_TOKEN_ENV } : { file: tokenFile }, env);
  if (token.length < MIN_TOKEN_CHARS) throw new UsageError(`the operator token (${tokenFile ?? OPERATOR_TOKEN_ENV}) must be at least ${MIN_TOKEN_CHARS} characters`);
  return new CaOperatorClient(ca, token);
}

/** The CA's operator issues a discharge request over the CA's operator route, and hands it to the LAG if `lag` is given. */
export async function runDischargeRequest(
  opts: { ca: string; lagId: string; energyWh: number; validSeconds: number; lag?: string; tokenFile?: string; json?: boolean },
  io: CliIo,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ExitCodeValue> {
  return guarded(io, async () => {
    const [{ bytesToHex }, { LagClient }] = await Promise.all([import("../../crypto/index.js"), import("../../services/vehicleClient.js")]);
    const client = await operatorClient(opts.ca, opts.tokenFile, env);
    const lag = opts.lag === undefined ? undefined : new LagClient(opts.lag);
    try {
      const issued = await client.issueDischargeRequest({ lagId: opts.lagId, energyWh: opts.energyWh, validSeconds: opts.validSeconds });
      const delivered = lag === undefined ? undefined : await lag.deliverDischargeRequest(issued.request);
      io.out(JSON.stringify({ requestId: issued.requestId, request: bytesToHex(issued.request), ...(delivered === undefined ? {} : { deliveredTo: opts.lag }) }));
      return ExitCode.Ok;
    } finally {
      client.close();
      lag?.close();
    }
  }, opts.json);
}

/** The answers in force for a discharge request, over the CA's operator route. */
export async function runDischargeTally(opts: { ca: string; requestId: string; tokenFile?: string; json?: boolean }, io: CliIo, env: Readonly<Record<string, string | undefined>> = process.env): Promise<ExitCodeValue> {
  return guarded(io, async () => {
    const client = await operatorClient(opts.ca, opts.tokenFile, env);
    try {
      io.out(JSON.stringify(await client.dischargeTally(opts.requestId)));
      return ExitCode.Ok;
    } finally {
      client.close();
    }
  }, opts.json);
}

/** The operator's token file `deployment init` writes (mode 0600). */
export const OPERATOR_TOKEN_FILE = "ca-operator.token";

/** Writes a local deployment and a `lag.config.json` for it. */
export async function runDeploymentInit(opts: { dir: string; members: number; ringSize: number; lagId: string; json?: boolean }, io: CliIo): Promise<ExitCodeValue> {
  return guarded(io, async () => {
    const [{ writeDeployment }, { newOperatorToken }] = await Promise.all([import("../../services/deployment.js"), import("../../services/operatorToken.js")]);
    const d = writeDeployment(await partyContextOf(), opts.dir, { lagId: opts.lagId, members: opts.members, ringSize: opts.ringSize });
    writeFileSync(join(opts.dir, OPERATOR_TOKEN_FILE), `${newOperatorToken()}\n`, { mode: 0o600 });
    const config = {
      lagId: opts.lagId,
      caUrl: "http://127.0.0.1:8090",
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
      operatorToken: { file: OPERATOR_TOKEN_FILE },
    };
    writeFileSync(join(opts.dir, "ca.config.json"), `${JSON.stringify(caConfig, null, 2)}\n`);
    io.out(opts.json
      ? JSON.stringify({ dir: opts.dir, files: ["lag.config.json", "ca.config.json", OPERATOR_TOKEN_FILE, d.files.group, d.files.caPublic], vehicles: opts.members })
      : `deployment written to ${opts.dir}: lag.config.json, ca.config.json, ${OPERATOR_TOKEN_FILE}, ${opts.members} vehicle credentials`);
    return ExitCode.Ok;
  }, opts.json);
}

const jsonOf = (cmd: Command): boolean => cmd.optsWithGlobals<{ json?: boolean }>().json ?? false;

export function registerServices(program: Command, ctx: CliContext): void {
  const lag = program.command("lag").description("the local aggregator (LAG) service");
  lag
    .command("serve")
    .description("run the LAG service (HTTP and WebSocket) until SIGTERM/SIGINT (then exit 0)")
    .requiredOption("--config <file>", "the service's config file (JSON)")
    .action(async (o: { config: string }, cmd: Command) => {
      ctx.exitCode = await runLagServe({ ...o, json: jsonOf(cmd) }, ctx.io, ctx.deps.signal);
    });
  const ca = program.command("ca").description("the central authority (CA) service and its operator");
  ca.command("serve")
    .description("run the CA service (HTTP) until SIGTERM/SIGINT (then exit 0)")
    .requiredOption("--config <file>", "the service's config file (JSON)")
    .action(async (o: { config: string }, cmd: Command) => {
      ctx.exitCode = await runCaServe({ ...o, json: jsonOf(cmd) }, ctx.io, ctx.deps.signal);
    });
  const tokenHelp = `the operator's token file (default: the environment variable ${OPERATOR_TOKEN_ENV})`;
  ca.command("discharge-request")
    .description("issue a signed discharge request for the vehicles behind a LAG (the operator's route)")
    .requiredOption("--ca <url>", "the CA service's URL")
    .requiredOption("--lag-id <id>", "the LAG the request is for")
    .requiredOption("--energy-wh <n>", "energy asked for (Wh)", (v: string) => parseInteger(v, "--energy-wh", 1))
    .option("--valid-seconds <n>", "how long vehicles may answer", (v: string) => parseInteger(v, "--valid-seconds", 60, 86_400), 3_600)
    .option("--lag <url>", "also hand the request to this LAG service, which offers it to its sessions")
    .option("--token-file <file>", tokenHelp)
    .action(async (o: { ca: string; lagId: string; energyWh: number; validSeconds: number; lag?: string; tokenFile?: string }, cmd: Command) => {
      ctx.exitCode = await runDischargeRequest({ ...o, json: jsonOf(cmd) }, ctx.io, ctx.deps.env);
    });
  ca.command("discharge-tally")
    .description("the answers in force for a discharge request (the operator's route)")
    .requiredOption("--ca <url>", "the CA service's URL")
    .requiredOption("--request-id <hex>", "the request's id (32 hex digits)")
    .option("--token-file <file>", tokenHelp)
    .action(async (o: { ca: string; requestId: string; tokenFile?: string }, cmd: Command) => {
      ctx.exitCode = await runDischargeTally({ ...o, json: jsonOf(cmd) }, ctx.io, ctx.deps.env);
    });
  const vehicle = program.command("vehicle").description("the vehicle (BV) side over the network");
  vehicle
    .command("answer-discharge")
    .description("authenticate at a LAG service, wait for a discharge offer on the session, and answer it")
    .requiredOption("--lag <url>", "the LAG service's URL")
    .requiredOption("--credential <file>", "the vehicle's credential file")
    .requiredOption("--ca <file>", "the CA's public keys file")
    .option("--accept", "accept the request")
    .option("--decline", "decline the request")
    .option("--wait-seconds <n>", "how long to wait for an offer", (v: string) => parseInteger(v, "--wait-seconds", 0, 3_600), 30)
    .action(async (o: { lag: string; credential: string; ca: string; accept?: boolean; decline?: boolean; waitSeconds: number }, cmd: Command) => {
      if ((o.accept === true) === (o.decline === true)) throw new UsageError("give exactly one of --accept and --decline");
      ctx.exitCode = await runVehicleAnswerDischarge({ lag: o.lag, credential: o.credential, ca: o.ca, accept: o.accept === true, waitSeconds: o.waitSeconds, json: jsonOf(cmd) }, ctx.io);
    });
  vehicle
    .command("authenticate")
    .description("one charging → FC authentication at a LAG service")
    .requiredOption("--lag <url>", "the LAG service's URL")
    .requiredOption("--credential <file>", "the vehicle's credential file")
    .requiredOption("--ca <file>", "the CA's public keys file")
    .action(async (o: { lag: string; credential: string; ca: string }, cmd: Command) => {
      ctx.exitCode = await runVehicleAuthenticate({ ...o, json: jsonOf(cmd) }, ctx.io);
    });
  const count = (what: string) => (v: string) => parseInteger(v, what, 2, 1_000_000);
  program
    .command("deployment")
    .description("local deployments of the services")
    .command("init")
    .description("write CA public keys, one group, one LAG and its vehicles' credentials")
    .requiredOption("--dir <dir>", "where to write")
    .option("--members <n>", "vehicles in the group", count("--members"), 32)
    .option("--ring-size <n>", "ring size of the credentials", count("--ring-size"), 16)
    .option("--lag-id <id>", "the LAG's id", "LAG-Local-1")
    .action(async (o: { dir: string; members: number; ringSize: number; lagId: string }, cmd: Command) => {
      ctx.exitCode = await runDeploymentInit({ ...o, json: jsonOf(cmd) }, ctx.io);
    });
}
