// Command titlefamily is a rolemine criterion plugin that normalises free-text job titles
// ("Sr. Software Eng", "Senior Engineer II", "software engineer 3") into a family
// ("Software Engineer", "Engineer") and a level ("junior", "mid", "senior", "lead",
// "principal", or "I".."V" where the title gives a number).
//
// Configuration (optional JSON): {"input": "title", "family": "title_family",
// "level": "title_level"} names the input attribute and the two outputs.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o titlefamily.wasm .
package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rolemine/rolemine/plugins/sdk"
)

type config struct {
	Input  string `json:"input"`
	Family string `json:"family"`
	Level  string `json:"level"`
}

func init() {
	sdk.Register(sdk.Plugin{
		Manifest: sdk.Manifest{
			Name: "titlefamily", Version: "1.0.0",
			Inputs: []string{"title"}, Outputs: []string{"title_family", "title_level"},
		},
		Configure: func(raw []byte, m *sdk.Manifest) error {
			if len(raw) == 0 {
				return nil
			}
			c := config{Input: "title", Family: "title_family", Level: "title_level"}
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("config: %w", err)
			}
			m.Inputs = []string{c.Input}
			m.Outputs = []string{c.Family, c.Level}
			return nil
		},
		Derive: func(in *sdk.Input, out *sdk.Output) error {
			fam, lvl := normalize(in.Value(0))
			out.Add(0, fam)
			out.Add(1, lvl)
			return nil
		},
	})
}

func main() {}

// abbreviations expands the abbreviations of title words (lower case, no punctuation).
var abbreviations = map[string]string{
	"sr": "senior", "snr": "senior", "jr": "junior", "jnr": "junior",
	"eng": "engineer", "engr": "engineer", "engineering": "engineer",
	"dev": "developer", "devs": "developer", "swe": "software engineer",
	"sw": "software", "mgr": "manager", "mngr": "manager", "mgmt": "management",
	"assoc": "associate", "asst": "assistant", "admin": "administrator",
	"sysadmin": "system administrator", "ops": "operations", "spec": "specialist",
	"sre": "site reliability engineer", "qa": "quality assurance", "acct": "accountant",
	"exec": "executive", "dir": "director", "vp": "vice president", "pm": "product manager",
	"princ": "principal", "mid": "mid",
}

// seniority maps leading or trailing seniority words to a level; they are removed from
// the family.
var seniority = map[string]string{
	"junior": "junior", "intern": "", "trainee": "junior", "graduate": "junior",
	"senior": "senior", "lead": "lead", "staff": "lead", "principal": "principal",
	"chief": "principal", "mid": "mid", "head": "lead",
}

// grades maps numeric or roman grades to levels.
var grades = map[string]string{
	"i": "I", "1": "I", "ii": "II", "2": "II", "iii": "III", "3": "III",
	"iv": "IV", "4": "IV", "v": "V", "5": "V",
}

// normalize returns the family and level of a title; both are "" for an empty title.
// The family is title-cased with expanded abbreviations and without seniority words;
// the level is the seniority word or grade, "mid" when the title has neither.
func normalize(title string) (family, level string) {
	words := strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '&')
	})
	var expanded []string
	for _, w := range words {
		if x, ok := abbreviations[w]; ok {
			w = x
		}
		expanded = append(expanded, strings.Fields(w)...)
	}
	var core []string
	for _, w := range expanded {
		if l, ok := seniority[w]; ok {
			if w == "intern" {
				core = append(core, w) // "Intern" is a family of its own
				continue
			}
			if level == "" || l == "principal" {
				level = l
			}
			continue
		}
		if g, ok := grades[w]; ok && len(core) > 0 {
			level = g
			continue
		}
		core = append(core, w)
	}
	if len(core) == 0 {
		return "", ""
	}
	if level == "" {
		level = "mid"
	}
	for i, w := range core {
		if w == "and" || w == "of" || w == "&" {
			continue
		}
		core[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(core, " "), level
}
