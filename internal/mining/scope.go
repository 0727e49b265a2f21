package mining

import (
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
)

// KindInScope reports whether kind belongs to the EntityType scope: "*" (every kind),
// "nhi" (every kind but human), or a comma list of kinds (spaces around names ignored;
// "nhi" may appear in a list).
func KindInScope(entityType, kind string) bool {
	for _, part := range strings.Split(entityType, ",") {
		switch p := strings.TrimSpace(part); p {
		case "*":
			return true
		case "nhi":
			if kind != columnar.HumanKind {
				return true
			}
		default:
			if p == kind {
				return true
			}
		}
	}
	return false
}
