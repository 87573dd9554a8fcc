import { expect } from "chai";
import fc from "fast-check";
import { keccak256, toUtf8Bytes } from "ethers";
import { canonicalJson, MAX_DEPTH } from "../../src/settlement/canonicalJson.js";
import { packageBytes, packageHash } from "../../src/settlement/package.js";
import { offlineCdr, offlineClaim, offlineParties } from "./botHelpers/offlineClaim.js";

describe("settlement bot: canonical package bytes and package hash", () => {
  it("should write members sorted by UTF-16 code units, without whitespace", () => {
    // The member names of RFC 8785 §3.2.3's sorting example, in scrambled order.
    const names = ["\u20ac", "\r", "\ufb33", "1", "\ud83d\ude00", "\u0080", "\u00f6"];
    const value = Object.fromEntries(names.map((n, i) => [n, i]));
    expect(canonicalJson(value)).to.equal('{"\\r":1,"1":3,"\u0080":5,"\u00f6":6,"\u20ac":0,"\ud83d\ude00":4,"\ufb33":2}');
    expect(canonicalJson({ b: [true, null, "x", { d: 1, c: [] }], a: {} })).to.equal('{"a":{},"b":[true,null,"x",{"c":[],"d":1}]}');
  });

  it("should write numbers and strings as ECMAScript does", () => {
    const cases: [unknown, string][] = [
      [0, "0"], [-0, "0"], [1e21, "1e+21"], [1e-7, "1e-7"], [0.1, "0.1"], [-12.5, "-12.5"], [2 ** 53 - 1, "9007199254740991"],
      ["\u000f\"\\/\n", '"\\u000f\\"\\\\/\\n"'], ["\u2028é€", '"\u2028é€"'], ["\udead", '"\\udead"'],
    ];
    for (const [value, text] of cases) expect(canonicalJson(value), String(value)).to.equal(text);
  });

  it("should refuse what is not a JSON value instead of writing something", () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_DEPTH + 1; i++) deep = [deep];
    const bad: unknown[] = [undefined, Number.NaN, Infinity, 1n, () => 1, Symbol("s"), new Date(0), new Map(), { a: undefined }, [undefined], deep];
    for (const value of bad) expect(() => canonicalJson(value), String(value)).to.throw(TypeError);
    let ok: unknown = 1;
    for (let i = 0; i < MAX_DEPTH; i++) ok = [ok];
    expect(canonicalJson(ok)).to.equal(`${"[".repeat(MAX_DEPTH)}1${"]".repeat(MAX_DEPTH)}`);
  });

  it("should give one form to equal JSON values however they are spaced or ordered (property)", () => {
    const reorder = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reorder)
        : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reorder(x)]))
        : v;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(JSON.stringify(reorder(value), null, 2)))).to.equal(text);
        expect(canonicalJson(JSON.parse(text))).to.equal(text); // the form is a fixed point
        expect(JSON.parse(text)).to.deep.equal(JSON.parse(JSON.stringify(value))); // and the same value
      }),
      { numRuns: 1000, seed: 20_260_301 },
    );
  });

  it("should hash a package as keccak256 of its canonical bytes, the same after a JSON round trip", async () => {
    const p = offlineParties();
    const { pkg } = offlineClaim(p, [await offlineCdr(p), await offlineCdr(p, { amount: 1n })]);
    const bytes = packageBytes(pkg);
    expect(new TextDecoder().decode(bytes)).to.equal(canonicalJson(pkg));
    expect(packageHash(pkg)).to.equal(keccak256(bytes));
    expect(packageHash(JSON.parse(JSON.stringify(pkg, null, 1)))).to.equal(keccak256(bytes));
    expect(packageHash({ ...pkg, amount: "1" })).not.to.equal(keccak256(bytes));
    expect(keccak256(toUtf8Bytes(JSON.stringify(pkg)))).not.to.equal(keccak256(bytes)); // the builder's order is not canonical
  });
});
