// Package discover proposes roles bottom-up from access patterns (`rolemine discover`,
// docs/cli.md#rolemine-discover): it clusters identities on the entitlements they
// actually hold.
//
// Exact mode solves the basic role mining problem: choose as few roles (sets of
// entitlements) as possible and give every identity a subset of them, so that the union of
// its roles' entitlements is exactly its entitlements. Seen as a bipartite graph of
// identities and entitlements, a role is a biclique and a solution is a biclique edge
// cover. The solver
//
//   - merges identical identities and identical entitlements (Reduce),
//   - repeatedly takes every biclique that is forced: an uncovered edge (u,p) whose only
//     maximal biclique is holders(p) x entitlements(u) belongs to some minimum cover,
//     after which identities and entitlements left with nothing to cover are dropped,
//   - splits what is left into connected components,
//   - covers each component with a greedy heuristic that re-applies the forced-biclique
//     reduction after every choice, removes redundant roles, and retries with other
//     tie-breaks while time allows, and
//   - proves small components optimal by branch and bound over their maximal bicliques.
//
// A lower bound comes from a set of pairwise incompatible edges (no biclique holds two of
// them) found greedily in each component, plus the forced bicliques.
//
// Approximate mode keeps only roles with at least a minimum number of members until a
// share of the assignments is covered; the rest is left as exceptions. Every discovered
// role can be described by the attribute criterion that best matches its members
// (Validate).
package discover
