/**
 * The package exchange: how a host hands claim packages to the home supplier. Any transport fits
 * the interface (a shared folder, object storage, an HTTPS inbox, OCPI) that delivers the package's
 * JSON value (the home hashes its canonical form, so spacing and member order do not matter);
 * `DirectoryExchange` is the file-directory implementation: `<dir>/<debtor>/<creditor>-<cdrRoot>.json`
 * holding the package's canonical bytes (keccak256 of the file is the claim's `packageHash`), written
 * atomically (temporary file, fsync, rename), so a reader never sees half a package.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { SettlementError } from "./errors.js";
import { packageBytes, type ClaimPackage } from "./package.js";

/** Which package: a claim is found by its creditor, debtor and CDR root (known before its id). */
export interface PackageRef {
  creditor: string;
  debtor: string;
  cdrRoot: string;
}

export interface PackageExchange {
  /** Makes the package available to its debtor; publishing the same package again is harmless. */
  publish(pkg: ClaimPackage): Promise<void>;
  /** The package as received (untrusted JSON), or null when it has not arrived. */
  fetch(ref: PackageRef): Promise<unknown | null>;
}

export class DirectoryExchange implements PackageExchange {
  constructor(readonly dir: string) {}

  /** The file of a package. */
  pathOf(ref: PackageRef): string {
    return join(this.dir, ref.debtor.toLowerCase(), `${ref.creditor.toLowerCase()}-${ref.cdrRoot.toLowerCase()}.json`);
  }

  async publish(pkg: ClaimPackage): Promise<void> {
    const file = this.pathOf({ creditor: pkg.creditor, debtor: pkg.debtor, cdrRoot: pkg.cdrRoot });
    const folder = join(this.dir, pkg.debtor.toLowerCase());
    const tmp = join(folder, `.${randomBytes(6).toString("hex")}.tmp`);
    try {
      mkdirSync(folder, { recursive: true });
      const fd = openSync(tmp, "w");
      try {
        const bytes = packageBytes(pkg);
        for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
      const dirFd = openSync(folder, "r");
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch (cause) {
      throw new SettlementError("PACKAGE", `cannot write the claim package ${file}`, { file }, cause);
    }
  }

  async fetch(ref: PackageRef): Promise<unknown | null> {
    let text: string;
    try {
      text = readFileSync(this.pathOf(ref), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new SettlementError("PACKAGE", "cannot read a claim package", { ref }, error);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text; // present but not JSON: the verifier reports it as an invalid package
    }
  }
}
