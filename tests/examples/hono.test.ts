// examples/hono end to end: the same routes as the other servers, through Hono middleware.
import { expect, test } from "bun:test";
import { describeExampleServer } from "./example-server-suite.ts";

describeExampleServer("examples/hono/server.ts", ({ url, client }) => {
  test("Hono middleware authorizes by the verified ID: /api/admin/* is 403 for spiffe://example.org/client", async () => {
    const response = await client().get(new URL("/api/admin/users", url()));
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: "forbidden" });
  });
});
