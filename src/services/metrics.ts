/**
 * The services' metrics in the Prometheus text format (`prom-client`), one registry per service
 * instance so several can run in one process (tests, the benchmark).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The metrics of a LAG service. */
export interface LagMetrics {
  readonly registry: Registry;
  /** Authentication responses by outcome ("accepted" or the refusal code). */
  readonly authResponses: Counter<"outcome">;
  readonly challenges: Counter<"outcome">;
  /** Session messages after authentication by kind ("poll", "status-report", "discharge-answer", "discharge-request") and outcome. */
  readonly sessionMessages: Counter<"kind" | "outcome">;
  /** Requests refused before any protocol work (rate limit, concurrency cap, size). */
  readonly shed: Counter<"reason">;
  readonly authSeconds: Histogram;
  readonly inFlight: Gauge;
}

/** A fresh registry with the LAG's metrics and the process defaults (memory, event-loop lag). */
export function lagMetrics(gauges: { inFlight: () => number; pending: () => number; sessions: () => number }): LagMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const authResponses = new Counter({ name: "v2g_lag_auth_responses_total", help: "Authentication responses by outcome", labelNames: ["outcome"], registers: [registry] });
  const challenges = new Counter({ name: "v2g_lag_challenges_total", help: "Challenges by outcome", labelNames: ["outcome"], registers: [registry] });
  const sessionMessages = new Counter({ name: "v2g_lag_session_messages_total", help: "Session messages after authentication by kind and outcome", labelNames: ["kind", "outcome"], registers: [registry] });
  const shed = new Counter({ name: "v2g_lag_requests_shed_total", help: "Requests refused before protocol work", labelNames: ["reason"], registers: [registry] });
  const authSeconds = new Histogram({
    name: "v2g_lag_auth_seconds",
    help: "Time from receiving a response to sending its confirmation",
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2],
    registers: [registry],
  });
  const inFlight = new Gauge({ name: "v2g_lag_verifications_in_flight", help: "Verifications running or queued", registers: [registry], collect() { this.set(gauges.inFlight()); } });
  new Gauge({ name: "v2g_lag_pending_challenges", help: "Challenges held", registers: [registry], collect() { this.set(gauges.pending()); } });
  new Gauge({ name: "v2g_lag_sessions", help: "Established sessions held", registers: [registry], collect() { this.set(gauges.sessions()); } });
  return { registry, authResponses, challenges, sessionMessages, shed, authSeconds, inFlight };
}

/** The metrics of a CA service. */
export interface CaMetrics {
  readonly registry: Registry;
  /** Requests by kind ("status-batch", "discharge-forward") and outcome ("accepted" or the refusal code). */
  readonly requests: Counter<"kind" | "outcome">;
  /** Requests refused before any protocol work (rate limit, concurrency cap, size, draining). */
  readonly shed: Counter<"reason">;
  readonly requestSeconds: Histogram<"kind">;
}

/** A fresh registry with the CA's metrics and the process defaults. */
export function caMetrics(gauges: { inFlight: () => number; ringChecks: () => number }): CaMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: "v2g_ca_requests_total", help: "LAG requests by kind and outcome", labelNames: ["kind", "outcome"], registers: [registry] });
  const shed = new Counter({ name: "v2g_ca_requests_shed_total", help: "Requests refused before protocol work", labelNames: ["reason"], registers: [registry] });
  const requestSeconds = new Histogram({
    name: "v2g_ca_request_seconds",
    help: "Time from receiving a LAG request to answering it",
    labelNames: ["kind"],
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [registry],
  });
  new Gauge({ name: "v2g_ca_requests_in_flight", help: "LAG requests being answered", registers: [registry], collect() { this.set(gauges.inFlight()); } });
  new Gauge({ name: "v2g_ca_ring_check_jobs_in_flight", help: "Ring-check jobs running or queued on the worker pool", registers: [registry], collect() { this.set(gauges.ringChecks()); } });
  return { registry, requests, shed, requestSeconds };
}
