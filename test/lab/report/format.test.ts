// The one number formatter's spans of days: singular and plural, and under a day.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { days } from "../../../src/lab/report/format.ts";

describe("days", () => {
  it("says one day in the singular, and less than a day where it rounds to none", () => {
    assert.deepEqual([0.2, 0.7, 1.2, 2, 45, 200, 3650].map(days), [
      "less than a day",
      "about 1 day",
      "about 1 day",
      "about 2 days",
      "about 45 days",
      "about 7 months",
      "about 10 years",
    ]);
  });
});
