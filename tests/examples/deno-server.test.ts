// examples/deno-server end to end (the shared server program through `@spiffe-ts/sdk/deno`).
import { describeExampleServer } from "./example-server-suite.ts";

describeExampleServer("examples/deno-server/server.ts");
