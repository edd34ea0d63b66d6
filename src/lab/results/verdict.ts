// A verdict is data, as a Jepsen checker's result is: valid, invalid or unknown, and what it
// was judged on. Verdicts merge: anything invalid makes the whole invalid; else anything
// unknown makes it unknown; else it is valid. Sentences are report/'s job.

export type Valid = "pass" | "fail" | "unknown";

/** Jepsen's merge of checkers' results: fail over unknown over pass. */
export function merge(valids: readonly Valid[]): Valid {
  if (valids.includes("fail")) return "fail";
  return valids.includes("unknown") ? "unknown" : "pass";
}
