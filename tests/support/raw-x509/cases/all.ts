// Every targeted X.509-SVID case, in one list (names are unique).
import { algorithmCases } from "./algorithms.ts";
import type { X509Case } from "./case.ts";
import { keyCases } from "./keys.ts";
import { leafCases } from "./leaf.ts";
import { limitCases } from "./limits.ts";
import { nameConstraintCases } from "./name-constraints.ts";
import { parsingCases } from "./parsing.ts";
import { pathCases } from "./paths.ts";
import { policyCases } from "./policies.ts";

/** All targeted cases: name constraints, algorithms, keys, strict parsing, path rules, leaf rules, policies, work limits. */
export const allCases: readonly X509Case[] = [...nameConstraintCases, ...algorithmCases, ...keyCases, ...parsingCases, ...pathCases, ...leafCases, ...policyCases, ...limitCases];
