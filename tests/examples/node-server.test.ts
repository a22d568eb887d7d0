// examples/node-server end to end (the shared server program through `@spiffe-ts/sdk/node`).
import { describeExampleServer } from "./example-server-suite.ts";

describeExampleServer("examples/node-server/server.ts");
