// npm run seed: writes a deterministic dataset into DATA_DIR in every form the stores read.
import { resolve } from "node:path";
import { defineCommand } from "citty";
import { wholeArg } from "./cli/flags.ts";
import { runCli } from "./cli/main.ts";
import { DEFAULT_PRODUCTS, DEFAULT_SEED, PRODUCT_STOCK, seed } from "./harness/seed.ts";

const command = defineCommand({
  meta: {
    name: "npm run seed --",
    description:
      "Write a deterministic set of users into DATA_DIR (default ./data) in every form the stores read: users.jsonl, users.sorted.jsonl + users.idx, users.db (with the products and orders), products.jsonl, orders.jsonl, and ids.txt for the wrk scripts. Existing data files there are replaced; the lmdb and leveldb stores build their databases from these files when they next start.",
  },
  args: {
    count: { type: "string", description: "how many users", default: "1000", valueHint: "N" },
    products: {
      type: "string",
      description: `how many products, each with ${PRODUCT_STOCK} in stock`,
      default: String(DEFAULT_PRODUCTS),
      valueHint: "N",
    },
    orders: {
      type: "string",
      description: "how many orders over the seeded users and products (each takes stock)",
      default: "0",
      valueHint: "N",
    },
    seed: {
      type: "string",
      description: "seed of the generator; the same seed gives the same users",
      default: String(DEFAULT_SEED),
    },
    "data-dir": {
      type: "string",
      description: "where to write (overrides DATA_DIR)",
      valueHint: "DIR",
    },
  },
  run({ args }) {
    seed({
      dataDir: resolve(args["data-dir"] ?? process.env.DATA_DIR ?? "data"),
      count: wholeArg(args.count, 1000, "--count", 0),
      products: wholeArg(args.products, DEFAULT_PRODUCTS, "--products", 0),
      orders: wholeArg(args.orders, 0, "--orders", 0),
      seed: wholeArg(args.seed, DEFAULT_SEED, "--seed", 0),
      progress: true,
    });
  },
});

if (import.meta.main) await runCli(command);
