// Where the project is, for the lab's scripts and scratch directories.
import { resolve } from "node:path";

export const PROJECT_ROOT = resolve(import.meta.dirname, "../../..");
