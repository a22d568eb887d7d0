// Seeded mutation fuzzing of X.509-SVID chains: a few base chains with deterministic keys
// (P-256 and Ed25519 from the seed), then mutants of the leaf's or the intermediate's
// TBSCertificate, re-signed by the real issuer key. Same seed, same mutants.
import { signTbs } from "./certificate.ts";
import { type CaseInput, TD } from "./cases/case.ts";
import { type Der } from "./der.ts";
import { certificatePolicies, extension, extKeyUsage, inhibitAnyPolicy, nameConstraints, policyConstraints, policyMappings } from "./extensions.ts";
import { dnsName, ipAddress, ipOctets, ipRange, rfc822Name, uri } from "./general-name.ts";
import { type KeyPair, seededKeyPair } from "./keys.ts";
import { mutateTbs, type Random } from "./mutate.ts";
import { dn } from "./name.ts";
import { ANY_POLICY, EKU, EXT } from "./oids.ts";
import { type Built, ca, leaf, NOW, root } from "./pki.ts";

/** A base chain to mutate. */
interface FuzzBase {
  readonly name: string;
  readonly root: Built;
  readonly inter: Built;
  readonly leaf: Built;
}

/** One mutant: its name says which base, which certificate and which mutations. */
export interface FuzzCase {
  readonly name: string;
  readonly input: CaseInput;
}

const P1 = "1.3.6.1.4.1.99999.1.1";
const P2 = "1.3.6.1.4.1.99999.1.2";

async function keys(rnd: Random, type: "P-256" | "Ed25519"): Promise<KeyPair> {
  return seededKeyPair(type, Uint8Array.from({ length: 32 }, () => Math.floor(rnd() * 256)));
}

/** The base chains, all valid: plain P-256, name constraints, policies, Ed25519, a rich leaf. */
async function bases(rnd: Random): Promise<FuzzBase[]> {
  let serial = 0x5000n;
  const s = (): bigint => serial++;
  const out: FuzzBase[] = [];
  const make = async (name: string, type: "P-256" | "Ed25519", o: { inter?: Parameters<typeof ca>[1]; leaf?: Parameters<typeof leaf>[1] } = {}): Promise<void> => {
    const r = await root({ key: await keys(rnd, type), cn: `${name} root`, serial: s() });
    const i = await ca(r, { key: await keys(rnd, type), cn: `${name} intermediate`, serial: s(), ...o.inter });
    const l = await leaf(i, { key: await keys(rnd, type), cn: `${name} leaf`, serial: s(), ...o.leaf });
    out.push({ name, root: r, inter: i, leaf: l });
  };
  await make("plain", "P-256");
  await make("constrained", "P-256", {
    inter: {
      pathLen: 0,
      add: [nameConstraints({ permitted: [uri("example.org"), dnsName("example.org"), ipAddress(ipRange("10.0.0.0/8")), rfc822Name(".example.org")], excluded: [dnsName("bad.example.org")] })],
    },
    leaf: { sans: [uri(`spiffe://${TD}/fuzz`), dnsName("svc.example.org"), ipAddress(ipOctets("10.1.2.3")), rfc822Name("ops@mail.example.org")] },
  });
  await make("policies", "P-256", {
    inter: { add: [certificatePolicies([P1, ANY_POLICY]), policyConstraints({ requireExplicitPolicy: 0, inhibitPolicyMapping: 2 }), policyMappings([[P1, P2]]), inhibitAnyPolicy(1)] },
    leaf: { add: [certificatePolicies([P2])] },
  });
  await make("ed25519", "Ed25519");
  await make("rich-leaf", "P-256", {
    leaf: {
      subject: dn({ c: "US", o: "SPIFFE", ou: "Fuzz", cn: "rich leaf" }),
      drop: [EXT.extKeyUsage],
      add: [extKeyUsage([EKU.clientAuth, EKU.serverAuth, "1.3.6.1.5.5.7.3.4"]), certificatePolicies([P1]), extension("1.3.6.1.4.1.99999.7", new Uint8Array([4, 2, 1, 2]))],
      sans: [uri(`spiffe://${TD}/rich/leaf`), dnsName("a.example.org"), ipAddress(ipOctets("2001:db8::1")), rfc822Name("x@example.org")],
    },
  });
  return out;
}

/** `count` mutants from `seed` (the targeted cases are separate: cases/all.ts). */
export async function fuzzCases(seed: number, count: number, prng: (seed: number) => Random): Promise<FuzzCase[]> {
  const rnd = prng(seed);
  const base = await bases(rnd);
  const out: FuzzCase[] = [];
  for (let k = 0; out.length < count && k < count * 4; k++) {
    const b = base[Math.floor(rnd() * base.length)]!;
    const target = rnd() < 0.6 ? "leaf" : "intermediate";
    const cert = target === "leaf" ? b.leaf : b.inter;
    const m = mutateTbs(cert.fields, rnd);
    if (!m) continue;
    const der: Der = await signTbs(m.tbs, cert.signedBy);
    const chain = target === "leaf" ? [der, b.inter.der] : [b.leaf.der, der];
    out.push({
      name: `fuzz/${seed}/${out.length}/${b.name}/${target}/${m.what.join("+")}`,
      input: { chain, bundle: [b.root.der], trustDomain: TD, now: NOW },
    });
  }
  return out;
}
