// Every lab command refuses what it does not define, before any work: the checks on the
// words of a command line, against a command's flag definitions.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkFlags, nearest } from "../../../src/lab/cli/unknown-flags.ts";

const DEFS = {
  records: { type: "string" },
  approaches: { type: "string" },
  quick: { type: "boolean" },
  out: { type: "string", alias: "o" },
};

describe("checkFlags", () => {
  it("accepts every defined flag, its alias, a negated boolean, --flag=value and --help", () => {
    const ok = [
      "--records",
      "10",
      "--quick",
      "--no-quick",
      "-o",
      "dir",
      "--approaches=map",
      "--help",
    ];
    assert.equal(checkFlags(ok, DEFS), undefined);
  });

  it("refuses an unknown flag, with the nearest known one", () => {
    assert.equal(
      checkFlags(["--record", "5"], DEFS),
      "unknown flag --record; did you mean --records? (--help lists them)",
    );
    assert.equal(
      checkFlags(["--aproaches=map"], DEFS),
      "unknown flag --aproaches; did you mean --approaches? (--help lists them)",
    );
    assert.equal(checkFlags(["--zzz"], DEFS), "unknown flag --zzz (--help lists them)");
  });

  it("refuses a word that is no flag's value, and stops at --", () => {
    assert.match(
      checkFlags(["--quick", "profile.json"], DEFS) ?? "",
      /^unexpected "profile\.json"/,
    );
    assert.equal(checkFlags(["--records", "5", "--", "anything"], DEFS), undefined);
  });

  it("suggests only what is near", () => {
    assert.equal(nearest("recrods", ["records", "servers"]), "records");
    assert.equal(nearest("xyzzy", ["records", "servers"]), undefined);
  });
});
