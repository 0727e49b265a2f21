// Package discover proposes roles bottom-up from access patterns (`rolemine discover`,
// docs/cli.md#rolemine-discover): it clusters identities on the entitlements they
// actually hold.
//
// Exact mode solves the basic role mining problem: choose as few roles (sets of
// entitlements) as possible and give every identity a subset of them, so that the union of
// its roles' entitlements is exactly its entitlements. Seen as a bipartite graph of
// identities and entitlements, a role is a biclique and a solution is a biclique edge
// cover. The solver (Solve)
//
//   - merges identical identities and identical entitlements,
//   - repeatedly takes every biclique that is forced: an uncovered edge (u,p) whose only
//     maximal biclique is holders(p) x entitlements(u) belongs to some minimum cover,
//     after which identities and entitlements left with nothing to cover are dropped,
//   - splits what is left into connected components, and in each
//   - covers the edges greedily with maximal bicliques, marks the edges other edges
//     dominate, and colours the conflict graph of the rest (edges that cannot share a
//     role are joined; DSATUR, then tabu search for fewer colours down to the lower
//     bound), keeping the smaller cover,
//   - bounds the fewest roles from below by pairwise incompatible edges found greedily
//     and a maximum clique of the conflict graph (branch and bound), and
//   - lowers the user-role and role-entitlement links of the cover it keeps.
//
// Every phase whose cost grows faster than the input stops at the budget's deadline; the
// cover is then finished with one role per entitlement class, still exact (Result.Stopped).
//
// Approximate mode (Approximate, TakeCoverage) keeps only roles with at least a minimum
// number of members until a share of the assignments is covered; the rest is left as
// exceptions. Every discovered role can be described by the attribute criterion that best
// matches its members (Describe), and with data a role no criterion describes is split
// (Refine).
package discover
