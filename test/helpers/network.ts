/**
 * Every test creates its in-process chain through `createNetwork()`, so the event audit
 * (test/event-privacy.test.ts) can decode and check every event the suite emitted.
 */
import { network } from "hardhat";

export type TestConnection = Awaited<ReturnType<typeof network.create>>;

const connections: TestConnection[] = [];

export async function createNetwork(): Promise<TestConnection> {
  const connection = await network.create();
  connections.push(connection);
  return connection;
}

/** The connections created so far in this test run. */
export function createdConnections(): readonly TestConnection[] {
  return connections;
}
