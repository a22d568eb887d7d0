// `npm run dev-agent`: the development Workload API of `npm run demo`, kept running so the
// examples can be started by hand without SPIRE. One socket per workload (a stand-in for
// attestation), both issued by one test CA of trust domain example.org. Development only:
// anything that can open a socket gets that socket's identity.
//
// Environment: DEV_AGENT_DIR (default /tmp/spiffe-ts-dev), TRUST_DOMAIN (default example.org).
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createTestCa, startWorkloadApiServer, type WorkloadApiServer } from "@spiffe-ts/sdk/testing";

const dir = process.env.DEV_AGENT_DIR || "/tmp/spiffe-ts-dev";
const trustDomain = process.env.TRUST_DOMAIN || "example.org";
mkdirSync(dir, { recursive: true, mode: 0o700 });

const ca = await createTestCa({ trustDomain, intermediate: true });
const agents: WorkloadApiServer[] = [];
console.log(`development Workload API, trust domain ${trustDomain} (no attestation: development only)`);
for (const name of ["server", "client"]) {
  const socketPath = join(dir, `${name}.sock`);
  rmSync(socketPath, { force: true }); // left over from a previous run
  const agent = await startWorkloadApiServer({ socketPath, ca, workloads: [{ id: `spiffe://${trustDomain}/${name}` }] });
  agents.push(agent);
  console.log(`  ${name}: SPIFFE_ENDPOINT_SOCKET=${agent.address}  → spiffe://${trustDomain}/${name}`);
}
console.log("ready; Ctrl-C to stop");

const stop = async (): Promise<void> => {
  for (const agent of agents) await agent.stop();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
