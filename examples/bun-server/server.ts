// The example mTLS server on Bun: `bun examples/bun-server/server.ts` (see README.md beside this file).
import { serveMtls } from "../../src/adapters/bun/mod.ts"; // "@spiffe-ts/sdk/bun"
import { runServer } from "../shared/app.ts";

await runServer(serveMtls);
