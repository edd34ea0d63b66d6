// The ceiling: a store that stores nothing. Every approach pays for HTTP, routing, JSON and
// validation; this one pays for nothing else, so its throughput is the most any store can
// reach on this machine, and the benchmark reports every other store as a ratio to it.
import { ORDERS_ALTERNATIVES } from "../lib/order.ts";
import type { OpenStore } from "./_types.ts";

const FIXED = JSON.stringify({
  id: "00000000-0000-4000-8000-000000000000",
  name: "Null User",
  email: "null@example.com",
  created_at: "2026-01-01T00:00:00.000Z",
});

export const processes = { many: true, why: "it keeps nothing" };

export const files = [];

export const open: OpenStore = () => ({
  durability: { survives: "nothing", claim: "Stores nothing: it is the HTTP ceiling." },
  details: { email_lookup: "none: every email answers the one fixed user" },
  get: () => FIXED,
  // As for reads by id, one fixed user, so the ceiling serialises an answer of the usual size.
  findByEmail: () => [FIXED],
  insert() {},
  count: () => 0,
  orders: { unsupported: `null stores nothing; ${ORDERS_ALTERNATIVES}` },
  close() {},
});
