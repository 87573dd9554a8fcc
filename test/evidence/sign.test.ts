import { expect } from "chai";
import fc from "fast-check";
import { hexlify, keccak256, randomBytes, recoverAddress, Signature, TypedDataEncoder, Wallet } from "ethers";
import { EvidenceError } from "../../src/evidence/errors.js";
import type { SignedMessage } from "../../src/evidence/messages.js";
import { messageDigest, receiptDigest, recoverSigner, signMessage, signReceipt, verifyMessageSignature, verifyReceiptSignature } from "../../src/evidence/sign.js";
import { isSignedBy } from "../../src/evidence/signerKeys.js";
import { BODY_FIELDS, evidenceDomain, HEADER_FIELDS, MESSAGE_TYPE_NAMES, messageTypes, RECEIPT_TYPES, type MessageTypeName } from "../../src/evidence/types.js";
import { arbBody, arbField, header } from "../helpers/samples.js";

const key = Wallet.createRandom();
const domain = evidenceDomain(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const to = { receiver: Wallet.createRandom().address, receiptDeadline: 1_700_003_600n };

/** Changes one field value to a different valid value of the same type. */
function mutate(value: unknown, type: string, seed: number): unknown {
  if (type.endsWith("[]")) return [...(value as bigint[]), BigInt(seed)];
  if (type === "bytes32" || type === "address") {
    const bytes = Buffer.from((value as string).slice(2), "hex");
    bytes[seed % bytes.length]! ^= 1 << (seed % 8);
    return type === "address" ? Wallet.createRandom().address : hexlify(bytes);
  }
  const bits = BigInt(/\d+/.exec(type)![0]);
  const v = value as bigint;
  const signed = type.startsWith("int");
  const next = v ^ 1n;
  if (!signed) return next;
  return next >= 1n << (bits - 1n) ? v - 1n : next;
}

describe("NRO / NRR signatures", () => {
  it("should invalidate a signed message when any single field of header or body changes (property)", async () => {
    const cases = fc.tuple(
      fc.constantFrom(...MESSAGE_TYPE_NAMES),
      fc.nat(),
      fc.boolean(),
      fc.nat(),
    ).chain(([type, fieldSeed, inHeader, seed]) =>
      fc.tuple(fc.constant(type), arbBody(type), fc.constant(fieldSeed), fc.constant(inHeader), fc.constant(seed)),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ([type, body, fieldSeed, inHeader, seed]) => {
        const t = type as MessageTypeName;
        const h = header(hexlify(new Uint8Array(32).fill(7)), 3n, 1_700_000_000n);
        const signed = await signMessage(key, "0x000000000000000000000000000000000000dEaD", domain, { type: t, header: h, body } as never, to);
        expect(verifyMessageSignature(domain, signed)).to.equal(true);
        const fields = inHeader ? HEADER_FIELDS : BODY_FIELDS[t];
        const field = fields[fieldSeed % fields.length]!;
        const part = inHeader ? { ...signed.header } : { ...(signed.body as unknown as Record<string, unknown>) };
        const original = (part as Record<string, unknown>)[field.name];
        (part as Record<string, unknown>)[field.name] = mutate(original, field.type, seed);
        const tampered = (inHeader ? { ...signed, header: part } : { ...signed, body: part }) as SignedMessage;
        // The stored digest stays; a verifier recomputes it from the (tampered) contents.
        expect(verifyMessageSignature(domain, tampered), `${t}.${field.name}`).to.equal(false);
      }),
      { numRuns: 300 },
    );
  });

  it("should not accept an NRO signature as an NRR or in another domain", async () => {
    const h = header(hexlify(new Uint8Array(32).fill(1)), 0n, 1_700_000_000n);
    const body = fc.sample(arbBody("Csev"), { numRuns: 1, seed: 5 })[0]!;
    const nro = await signMessage(key, key.address, domain, { type: "Csev", header: h, body } as never, to);
    const nrr = await signReceipt(key, key.address, domain, { nroDigest: nro.digest, sessionId: h.sessionId, receivedAt: h.issuedAt, nonce: h.nonce });
    expect(verifyReceiptSignature(domain, nrr)).to.equal(true);
    expect(verifyReceiptSignature(domain, { ...nrr, signature: nro.signature })).to.equal(false);
    expect(verifyMessageSignature(evidenceDomain(1n, domain.verifyingContract!), nro)).to.equal(false);
    expect(verifyMessageSignature({ ...domain, verifyingContract: Wallet.createRandom().address }, nro)).to.equal(false);
  });

  it("should give exactly ethers' EIP-712 digests for every domain, with encoders and domain separators reused", async () => {
    const h = header(hexlify(new Uint8Array(32).fill(4)), 0n, 1_700_000_000n);
    const other = Wallet.createRandom().address;
    // The same fields as a bigint, a number and a string hash alike; another chain, contract or version does not.
    const domains = [domain, { ...domain, chainId: 31337 }, { ...domain, chainId: "31337" }, evidenceDomain(1n, other), evidenceDomain(31337n, other), evidenceDomain(31337n, domain.verifyingContract!, 1)];
    const seen = new Set<string>();
    for (const round of [0, 1]) {
      for (const [i, d] of domains.entries()) {
        for (const type of ["Csev", "ReqEv"] as const) {
          const body = fc.sample(arbBody(type), { numRuns: 1, seed: 11 })[0]!;
          const version = d.version === "1" ? 1 : 2;
          const signedHeader = version === 1 ? { ...h, receiver: undefined, receiptDeadline: undefined } : { ...h, ...to };
          const msg = { type, header: signedHeader, body } as never;
          const { receiver: _r, receiptDeadline: _d, ...v1 } = signedHeader;
          const expected = TypedDataEncoder.hash(d, messageTypes(type, version), { header: version === 1 ? v1 : signedHeader, body });
          expect(messageDigest(d, msg), `${type} in domain ${i}, round ${round}`).to.equal(expected);
          if (round === 0) seen.add(expected);
        }
        const receipt = { nroDigest: keccak256("0x01"), sessionId: h.sessionId, receivedAt: h.issuedAt, nonce: h.nonce };
        expect(receiptDigest(d, receipt), `receipt in domain ${i}, round ${round}`).to.equal(TypedDataEncoder.hash(d, RECEIPT_TYPES, receipt));
      }
    }
    expect(seen.size).to.equal(2 * 4);
    expect(() => messageDigest({ ...domain, chainId: "31337n" }, { type: "Csev", header: { ...h, ...to }, body: fc.sample(arbBody("Csev"), { numRuns: 1 })[0]! } as never)).to.throw();
  });

  it("should give ethers' digest for every type and version, whichever form a value takes (property)", () => {
    // A value in another form ethers takes (a number, a hex string, a lower-case address) or
    // refuses (out of range, a bad checksum) is left to ethers: the same digest, or the same throw.
    const variant = (v: unknown, type: string, pick: number): unknown => {
      if (Array.isArray(v)) return v.map((x) => variant(x, type.slice(0, -2), pick));
      if (type === "address") return [v, (v as string).toLowerCase(), (v as string).replace(/[a-f]/, (c) => c.toUpperCase())][pick % 3];
      if (type === "bytes32") return [v, (v as string).toUpperCase().replace("0X", "0x"), Buffer.from((v as string).slice(2), "hex")][pick % 3];
      const n = v as bigint;
      const bits = BigInt(/\d+/.exec(type)![0]);
      return [n, Number.isSafeInteger(Number(n)) ? Number(n) : n, `0x${(n < 0n ? -n : n).toString(16)}`, type.startsWith("u") ? n + (1n << bits) : n][pick % 4];
    };
    const ethersOr = (f: () => string): string => {
      try {
        return f();
      } catch {
        return "throws";
      }
    };
    fc.assert(
      fc.property(fc.constantFrom(...MESSAGE_TYPE_NAMES), fc.constantFrom(1, 2), fc.nat(), fc.nat(), (type, version, seed, pick) => {
        const body = fc.sample(arbBody(type), { numRuns: 1, seed })[0]!;
        const field = BODY_FIELDS[type][seed % BODY_FIELDS[type].length]!;
        const changed = { ...body, [field.name]: variant(body[field.name], field.type, pick) };
        const h = header(hexlify(new Uint8Array(32).fill(seed & 0xff)), BigInt(seed % 1000), 1_700_000_000n);
        const d = evidenceDomain(31337n, domain.verifyingContract!, version as 1 | 2);
        const full = version === 1 ? h : { ...h, ...to };
        for (const b of [body, changed]) {
          const expected = ethersOr(() => TypedDataEncoder.hash(d, messageTypes(type, version as 1 | 2), { header: full, body: b }));
          expect(ethersOr(() => messageDigest(d, { type, header: full, body: b } as never)), `${type} v${version} ${field.name}`).to.equal(expected);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("should sign the receiver and the receipt deadline, and refuse them missing or invalid with BAD_INPUT", async () => {
    const h = header(hexlify(new Uint8Array(32).fill(2)), 0n, 1_700_000_000n);
    const body = fc.sample(arbBody("Csev"), { numRuns: 1, seed: 3 })[0]!;
    const msg = { type: "Csev", header: h, body } as never;
    const party = Wallet.createRandom().address;
    const signed = await signMessage(key, party, domain, msg, to);
    expect(signed.header.receiver).to.equal(to.receiver);
    expect(signed.header.receiptDeadline).to.equal(to.receiptDeadline);
    const bad: [string, Parameters<typeof signMessage>[4]][] = [
      ["missing", undefined],
      ["not an address", { receiver: "0x1234", receiptDeadline: to.receiptDeadline }],
      ["the origin itself", { receiver: party, receiptDeadline: to.receiptDeadline }],
      ["deadline at issuedAt", { receiver: to.receiver, receiptDeadline: h.issuedAt }],
      ["deadline beyond uint64", { receiver: to.receiver, receiptDeadline: 1n << 64n }],
    ];
    for (const [what, addressing] of bad) {
      const error = await signMessage(key, party, domain, msg, addressing).then(
        () => expect.fail(`${what}: signed`),
        (e: unknown) => e,
      );
      expect(error, what).to.be.instanceOf(EvidenceError).with.property("code", "BAD_INPUT");
    }
    // A version 1 domain signs the version 1 header, and takes no addressing.
    const v1 = evidenceDomain(31337n, domain.verifyingContract!, 1);
    const old = await signMessage(key, party, v1, msg);
    expect(old.header).to.not.have.property("receiver");
    expect(verifyMessageSignature(v1, old)).to.equal(true);
    expect(old.digest).to.not.equal(signed.digest);
    const refused = await signMessage(key, party, v1, msg, to).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(EvidenceError).with.property("code", "BAD_INPUT");
  });

  it("should reject malformed signatures with a typed error", () => {
    const digest = fc.sample(arbField("bytes32"), { numRuns: 1, seed: 2 })[0] as string;
    const good = key.signingKey.sign(digest).serialized;
    expect(recoverSigner(digest, good)).to.equal(key.address);
    for (const bad of [good.slice(0, -2), good + "00", good.slice(0, -2) + "1d", "0xzz"]) {
      expect(() => recoverSigner(digest, bad)).to.throw(EvidenceError).with.property("code", "BAD_SIGNATURE");
    }
  });

  it("should give through a known signer key exactly the verdicts of recovery, before and after the key's tables", () => {
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const signerKey = Wallet.createRandom();
    const other = Wallet.createRandom();
    const signer = signerKey.address;
    const ethersSays = (digest: string, signature: string): boolean => {
      try {
        const s = Signature.from(signature);
        return s.s <= `0x${(N >> 1n).toString(16)}` && recoverAddress(digest, s) === signer;
      } catch {
        return false;
      }
    };
    const flipV = (sig: string) => sig.slice(0, 130) + (sig.endsWith("1b") ? "1c" : "1b");
    const highS = (sig: string) => {
      const s = Signature.from(sig);
      const hs = (N - BigInt(s.s)).toString(16).padStart(64, "0");
      return sig.slice(0, 66) + hs + (sig.endsWith("1b") ? "1c" : "1b");
    };
    let accepted = 0;
    // Past the use count at which the key gets precomputed tables (64), so both paths are checked.
    for (let i = 0; i < 100; i++) {
      const digest = keccak256(randomBytes(32));
      const good = signerKey.signingKey.sign(digest).serialized;
      const cases = [
        good,
        flipV(good), // the same r, s with the other y: recovers to another key
        highS(good), // the malleable twin: ecrecover would accept it, OpenZeppelin ECDSA does not
        other.signingKey.sign(digest).serialized, // another key's signature naming this signer
        signerKey.signingKey.sign(keccak256(randomBytes(32))).serialized, // this key, another digest
        good.slice(0, 66) + "00".repeat(32) + good.slice(130), // s = 0
      ];
      for (const [n, sig] of cases.entries()) {
        const fast = isSignedBy(digest, sig, signer);
        expect(fast, `case ${n} of round ${i}`).to.equal(n === 0);
        expect(fast, `case ${n} of round ${i}`).to.equal(n !== 2 && ethersSays(digest, sig));
        if (fast) accepted++;
      }
    }
    expect(accepted).to.equal(100);
    // A lower-case (unchecksummed) signer never matches, as with recovery.
    const digest = keccak256(randomBytes(32));
    expect(isSignedBy(digest, signerKey.signingKey.sign(digest).serialized, signer.toLowerCase())).to.equal(false);
  });
});
