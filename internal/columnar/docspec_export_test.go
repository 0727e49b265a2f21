package columnar

// What TestInputColumnsMatchDocs (docspec_test.go, package columnar_test: it imports
// internal/spectest, which imports this package) reads of the loaders' table specs.

// SpecColumns is one table spec's file, columns read, required columns and whether it
// reads every other column.
type SpecColumns struct {
	Name            string
	Known, Required []string
	Others          bool
}

func specColumns(spec *tableSpec) SpecColumns {
	c := SpecColumns{Name: spec.name, Required: spec.required, Others: spec.others}
	for k := range spec.known {
		c.Known = append(c.Known, k)
	}
	return c
}

// InputSpecs returns the specs of the six input files, assignments with a last_used
// column.
func InputSpecs() []SpecColumns {
	var out []SpecColumns
	for _, spec := range append([]*tableSpec{&identitiesSpec, &rolesSpec, &assignmentsSpec}, optionalInputs...) {
		if spec.name == "assignments" {
			spec = adaptSpec(spec, []string{LastUsedColumn})
		}
		out = append(out, specColumns(spec))
	}
	return out
}

// AssignmentsSpec returns the spec assignments with these columns are read by, and
// whether it is the flat one.
func AssignmentsSpec(columns ...string) (SpecColumns, bool) {
	spec := adaptSpec(&assignmentsSpec, columns)
	return specColumns(spec), spec == &assignmentsSpec
}
