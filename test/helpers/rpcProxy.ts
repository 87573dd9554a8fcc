/**
 * A JSON-RPC loopback proxy for fault injection: an HTTP server on 127.0.0.1 (ephemeral port) in
 * front of an EIP-1193 provider (the in-process Hardhat network). On command it answers chosen
 * methods with an error, drops the connection, delays, forwards but loses the answer, or answers
 * with a value of its own. It records every call.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Eip1193Provider } from "../../src/chain/rpc.js";
import { closeServer, forwardJsonRpc, listenLoopback, readJsonRpc, replyJson, type JsonRpcRequest } from "../../src/chain/rpcServer.js";

export type Fault =
  /** Answer with a JSON-RPC error; the upstream never sees the call. */
  | { kind: "error"; code?: number; message?: string; data?: unknown }
  /** Close the connection without an answer; the upstream never sees the call. */
  | { kind: "drop" }
  /** Forward after a delay. */
  | { kind: "delay"; ms: number }
  /** Forward (the upstream acts on it), then close the connection without an answer. */
  | { kind: "lose-answer" }
  /** Answer with this result; the upstream never sees the call. */
  | { kind: "result"; value: unknown };

export interface FaultRule {
  method: string;
  fault: Fault;
  /** How many matching calls it applies to (default: until removed). */
  times?: number;
  /** Only calls whose params satisfy this. */
  match?: (params: unknown[]) => boolean;
}

export interface RecordedCall {
  method: string;
  params: unknown[];
  fault?: Fault["kind"];
}

export class RpcProxy {
  readonly calls: RecordedCall[] = [];
  private rules: (FaultRule & { left: number })[] = [];

  private constructor(
    private readonly server: Server,
    private readonly upstream: Eip1193Provider,
    readonly url: string,
  ) {}

  /** Starts a proxy in front of `upstream` on 127.0.0.1 and an ephemeral port. */
  static async start(upstream: Eip1193Provider): Promise<RpcProxy> {
    // Requests arrive only once listening, after `proxy` below is set.
    const server = createServer((req, res) => void proxy.handle(req, res));
    const port = await listenLoopback(server);
    const proxy = new RpcProxy(server, upstream, `http://127.0.0.1:${port}`);
    return proxy;
  }

  /** Adds a rule; returns a function that removes it. */
  inject(rule: FaultRule): () => void {
    const entry = { ...rule, left: rule.times ?? Infinity };
    this.rules.push(entry);
    return () => {
      this.rules = this.rules.filter((r) => r !== entry);
    };
  }

  clearFaults(): void {
    this.rules = [];
  }

  /** Calls of `method` seen so far. */
  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  async close(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const read = await readJsonRpc(req);
    if ("error" in read) return replyJson(res, read.error);
    const requests = Array.isArray(read.body) ? read.body : [read.body];
    const answers: unknown[] = [];
    for (const request of requests) {
      const answer = await this.answer(request);
      if (answer === "drop") {
        res.socket?.destroy();
        return;
      }
      answers.push(answer);
    }
    replyJson(res, Array.isArray(read.body) ? answers : answers[0]);
  }

  private async answer(request: JsonRpcRequest): Promise<unknown> {
    const method = String(request.method);
    const params = Array.isArray(request.params) ? request.params : [];
    const rule = this.rules.find((r) => r.method === method && r.left > 0 && (!r.match || r.match(params)));
    if (rule) rule.left--;
    const fault = rule?.fault;
    this.calls.push({ method, params, ...(fault ? { fault: fault.kind } : {}) });
    const envelope = { jsonrpc: "2.0", id: request.id ?? null };
    switch (fault?.kind) {
      case "error":
        return { ...envelope, error: { code: fault.code ?? -32000, message: fault.message ?? "injected failure", ...(fault.data === undefined ? {} : { data: fault.data }) } };
      case "drop":
        return "drop";
      case "result":
        return { ...envelope, result: fault.value };
      case "delay":
        await new Promise((r) => setTimeout(r, fault.ms));
        break;
      default:
        break;
    }
    const answer = await forwardJsonRpc(this.upstream, { ...request, method, params });
    return fault?.kind === "lose-answer" ? "drop" : answer;
  }
}

