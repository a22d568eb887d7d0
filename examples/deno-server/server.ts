// The example mTLS server on Deno: `deno run --allow-net --allow-env --allow-read --allow-write examples/deno-server/server.ts` (see README.md).
import { serveMtls } from "../../src/adapters/deno/mod.ts"; // "@spiffe-ts/sdk/deno"
import { runServer } from "../shared/app.ts";

await runServer(serveMtls);
