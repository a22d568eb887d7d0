// The example mTLS server on Node.js: `node examples/node-server/server.ts` (Node 22.18+ runs TypeScript; see README.md).
import { serveMtls } from "../../src/adapters/node/mod.ts"; // "@spiffe-ts/sdk/node"
import { runServer } from "../shared/app.ts";

await runServer(serveMtls);
