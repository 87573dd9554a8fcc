/**
 * The PostgreSQL server of the tests: `V2G_TEST_PG_URL` (CI starts one, see `.ci/postgres.sh`).
 * Without it a developer machine skips the PostgreSQL tests with a message; CI fails instead.
 */
import pg from "pg";

/** The server URL, or undefined (after saying why) when the suite must skip. */
export function postgresUrl(): string | undefined {
  const url = process.env.V2G_TEST_PG_URL;
  if (url !== undefined && url !== "") return url;
  if (process.env.CI === "true") throw new Error("V2G_TEST_PG_URL is not set: CI must run the PostgreSQL tests (.ci/postgres.sh)");
  console.log("      (skipped: set V2G_TEST_PG_URL to a PostgreSQL server to run the PostgreSQL store tests)");
  return undefined;
}

/** A fresh database on the server for one suite; returns its URL and a function that drops it. */
export async function freshDatabase(url: string, name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const db = `${name}_${process.pid}_${Date.now()}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const parsed = new URL(url);
  parsed.pathname = `/${db}`;
  return {
    url: parsed.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await c.end();
    },
  };
}
