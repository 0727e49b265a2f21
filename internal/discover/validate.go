package discover

import (
	"context"
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
)

// Term is one attribute=value condition of a criterion.
type Term struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
}

// Description is the criterion that best describes a role's members: the identities
// matching every term. Precision is the share of matching identities that are members,
// recall the share of members that match.
type Description struct {
	Criterion         []Term
	Precision, Recall float64
	// Precise is the criterion with the highest recall among those reaching
	// MeaningThreshold precision (nil when none does): the group Refine splits off when
	// the best criterion is not meaningful.
	Precise *Description
}

// MeaningThreshold is the precision and recall a role's best criterion must both reach
// for the role to count as having a business meaning.
const MeaningThreshold = 0.9

// Meaningful reports whether d describes the members well enough (MeaningThreshold).
func (d Description) Meaningful() bool {
	return len(d.Criterion) > 0 && d.Precision >= MeaningThreshold && d.Recall >= MeaningThreshold
}

// depth1Keep is how many single terms (by recall) are extended to pairs.
const depth1Keep = 24

// Describe finds, for each set of members (identity indices of s), the criterion of 1 to
// maxDims terms (docs/semantics.md#criterion; at most 2 are searched) on the snapshot's
// usable dimensions that maximises the F1 score of precision and recall against the
// members; ties go to fewer terms, then to the lexically smaller criterion. Skipped
// dimensions (high cardinality, excluded) are not used. A role nothing describes gets an
// empty criterion.
func Describe(ctx context.Context, s *columnar.Snapshot, members [][]int32, maxDims int) ([]Description, error) {
	n := s.NumIdentities()
	// postings[d][code]: identities with that value.
	var dims []int
	for d := range s.Dims {
		if !s.Dims[d].Skipped {
			dims = append(dims, d)
		}
	}
	support := make([][]int, len(s.Dims))
	postings := make([][][]int32, len(s.Dims))
	for _, d := range dims {
		support[d] = make([]int, len(s.Dims[d].Values))
		postings[d] = make([][]int32, len(s.Dims[d].Values))
		for i, c := range s.Dims[d].Codes {
			if c >= 0 {
				support[d][c]++
				postings[d][c] = append(postings[d][c], int32(i))
			}
		}
	}
	out := make([]Description, len(members))
	isMember := make([]bool, n)
	for k, mem := range members {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(mem) == 0 {
			continue
		}
		for _, i := range mem {
			isMember[i] = true
		}
		type term struct {
			d    int
			code int32
			tp   int
		}
		var terms []term
		for _, d := range dims {
			h := map[int32]int{}
			for _, i := range mem {
				if c := s.Dims[d].Codes[i]; c >= 0 {
					h[c]++
				}
			}
			for c, tp := range h {
				terms = append(terms, term{d, c, tp})
			}
		}
		best := Description{}
		bestF, bestTerms := -1.0, 0
		var bestKey []Term
		var precise *Description
		consider := func(crit []Term, tp, sup int) {
			if tp == 0 || sup == 0 {
				return
			}
			p := float64(tp) / float64(sup)
			r := float64(tp) / float64(len(mem))
			if p >= MeaningThreshold && (precise == nil || r > precise.Recall+1e-12 ||
				(r > precise.Recall-1e-12 && (len(crit) < len(precise.Criterion) ||
					(len(crit) == len(precise.Criterion) && lessTerms(crit, precise.Criterion))))) {
				precise = &Description{Criterion: crit, Precision: p, Recall: r}
			}
			f := 2 * p * r / (p + r)
			if f > bestF+1e-12 || (f > bestF-1e-12 && (len(crit) < bestTerms || (len(crit) == bestTerms && lessTerms(crit, bestKey)))) {
				bestF, bestTerms, bestKey = f, len(crit), crit
				best = Description{Criterion: crit, Precision: p, Recall: r}
			}
		}
		for _, t := range terms {
			consider([]Term{{s.Dims[t.d].Name, s.Dims[t.d].Values[t.code]}}, t.tp, support[t.d][t.code])
		}
		if maxDims >= 2 && bestF < 1 {
			slices.SortFunc(terms, func(a, b term) int {
				if a.tp != b.tp {
					return b.tp - a.tp
				}
				if a.d != b.d {
					return a.d - b.d
				}
				return int(a.code - b.code)
			})
			if len(terms) > depth1Keep {
				terms = terms[:depth1Keep]
			}
			for i, a := range terms {
				for _, b := range terms[i+1:] {
					if a.d == b.d {
						continue
					}
					tp, sup := 0, 0
					x, y := a, b
					if support[x.d][x.code] > support[y.d][y.code] {
						x, y = y, x
					}
					dy := &s.Dims[y.d]
					for _, id := range postings[x.d][x.code] {
						if dy.Codes[id] == y.code {
							sup++
							if isMember[id] {
								tp++
							}
						}
					}
					x, y = a, b
					if s.Dims[x.d].Name > s.Dims[y.d].Name {
						x, y = y, x
					}
					consider([]Term{{s.Dims[x.d].Name, s.Dims[x.d].Values[x.code]}, {s.Dims[y.d].Name, s.Dims[y.d].Values[y.code]}}, tp, sup)
				}
			}
		}
		for _, i := range mem {
			isMember[i] = false
		}
		best.Precise = precise
		out[k] = best
	}
	return out, nil
}

func lessTerms(a, b []Term) bool {
	for i := range min(len(a), len(b)) {
		if a[i].Attribute != b[i].Attribute {
			return a[i].Attribute < b[i].Attribute
		}
		if a[i].Value != b[i].Value {
			return a[i].Value < b[i].Value
		}
	}
	return len(a) < len(b)
}
