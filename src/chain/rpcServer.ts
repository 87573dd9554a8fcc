/**
 * JSON-RPC over HTTP in front of an EIP-1193 provider, on 127.0.0.1 only: how the in-process
 * Hardhat network (EDR) is reached by other processes. One POST per call or batch; a JSON-RPC
 * error of the provider keeps its code, message and data; anything else is a JSON-RPC error
 * envelope, never a crash of the server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Server } from "node:net";
import { LocalNodeError } from "./localNodeErrors.js";
import type { Eip1193Provider } from "./rpc.js";

/** The largest request body accepted (a batch of large raw transactions fits well below it). */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

export interface JsonRpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

export interface ServedProvider {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The envelope of `request`'s answer: the provider's result, or its error as a JSON-RPC error. */
export async function forwardJsonRpc(upstream: Eip1193Provider, request: JsonRpcRequest): Promise<unknown> {
  const envelope = { jsonrpc: "2.0", id: request.id ?? null };
  if (typeof request.method !== "string") return { ...envelope, error: { code: -32600, message: "invalid request: no method" } };
  const params = Array.isArray(request.params) ? request.params : [];
  try {
    return { ...envelope, result: (await upstream.request({ method: request.method, params })) ?? null };
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown; data?: unknown };
    const code = typeof e.code === "number" ? e.code : -32603;
    return { ...envelope, error: { code, message: String(e.message ?? error), ...(e.data === undefined ? {} : { data: e.data }) } };
  }
}

/** The parsed body of a JSON-RPC POST, or the error envelope to answer with. */
export async function readJsonRpc(req: IncomingMessage): Promise<{ body: JsonRpcRequest | JsonRpcRequest[] } | { error: unknown }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return { error: { jsonrpc: "2.0", id: null, error: { code: -32600, message: "request too large" } } };
    chunks.push(chunk as Buffer);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
    if (body === null || typeof body !== "object") throw new TypeError("not an object");
    return { body: body as JsonRpcRequest | JsonRpcRequest[] };
  } catch {
    return { error: { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } } };
  }
}

/** Writes a JSON answer (bigints as hex quantities). */
export function replyJson(res: ServerResponse, payload: unknown, status = 200): void {
  const text = JSON.stringify(payload, (_k, v: unknown) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v));
  res.writeHead(status, { "content-type": "application/json" }).end(text);
}

/** Listens on 127.0.0.1:`port` (0: a free port); a port in use is a `PORT_IN_USE` error. */
export async function listenLoopback(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new LocalNodeError("PORT_IN_USE", `port ${port} on 127.0.0.1 is already in use`, { port }, error)
          : new LocalNodeError("START_FAILED", `cannot listen on 127.0.0.1:${port}: ${error.message}`, { port }, error),
      );
    };
    server.once("error", onError);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", onError);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Closes `server`, ending open keep-alive connections. */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  if ("closeAllConnections" in server && typeof server.closeAllConnections === "function") server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Serves `upstream` as JSON-RPC over HTTP on 127.0.0.1:`port` (0 or absent: a free port). */
export async function serveProvider(upstream: Eip1193Provider, options: { port?: number } = {}): Promise<ServedProvider> {
  const server = createServer((req, res) => void handle(upstream, req, res));
  const port = await listenLoopback(server, options.port ?? 0);
  return { url: `http://127.0.0.1:${port}`, port, close: () => closeServer(server) };
}

async function handle(upstream: Eip1193Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (req.method !== "POST") return replyJson(res, { jsonrpc: "2.0", id: null, error: { code: -32600, message: "POST only" } }, 405);
    const read = await readJsonRpc(req);
    if ("error" in read) return replyJson(res, read.error);
    if (!Array.isArray(read.body)) return replyJson(res, await forwardJsonRpc(upstream, read.body));
    const answers: unknown[] = [];
    for (const request of read.body) answers.push(await forwardJsonRpc(upstream, request));
    replyJson(res, answers);
  } catch {
    // The client went away mid-request: nothing to answer.
    res.destroy();
  }
}
