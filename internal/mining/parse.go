package mining

// Parsing of the mining configuration: the Netwrix Identity Manager <MiningRule> dialect
// (docs/config.md).
//
// The file is read with encoding/xml's token loop. <MiningRule/> and <CriterionPlugin/>
// elements are picked up wherever they are (at the root or under any root element such as
// <ConfigurationFile>); every other element is ignored, because a real Netwrix
// configuration file holds many unrelated ones. Attributes of <MiningRule/> are strict:
// an unknown one is an error, so that a typo cannot silently fall back to a default.
//
// A rule is built in two steps. parseMiningRule turns the attribute text into typed
// fields (this is where malformed numbers and booleans are reported), then validateRule
// checks every range and list once. validateRule is the one place that decides whether
// a MiningRule is acceptable; the fuzz test holds every parsed rule against it.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rolemine/rolemine/internal/uerr"
)

// Attribute names of <MiningRule/>, exactly as Netwrix spells them.
const (
	attrPriority                = "Priority"
	attrEntityType              = "EntityType"
	attrPolicy                  = "Policy"
	attrRulePolicy              = "RulePolicy"
	attrCategory                = "Category"
	attrIncludeNoValidation     = "IncludeNoValidation"
	attrIncludeSimpleValidation = "IncludeSimpleValidation"
	attrIncludeDoubleValidation = "IncludeDoubleValidation"
	attrIncludeTripleValidation = "IncludeTripleValidation"
	attrExcludeRole             = "ExcludeRole"
	attrPrecisionMin            = "PrecisionMinPercentage"
	attrFalsePositiveMax        = "FalsePositiveMaxPercentage"
	attrRuleType                = "RuleType"
	attrMinIdentities           = "MinIdentitiesCount"
	attrMaxDimensions           = "MaxDimensions"
	attrDimensions              = "Dimensions"
	attrUsedOnly                = "UsedOnly"
	// Identifier and DisplayName_L1..DisplayName_L16 are carried by every Netwrix
	// configuration element; rolemine accepts them so that files can be brought as is.
	attrIdentifier = "Identifier"
)

// isDisplayName reports whether name is a Netwrix localized display name attribute
// (DisplayName_L1 .. DisplayName_L16).
func isDisplayName(name string) bool {
	rest, ok := strings.CutPrefix(name, "DisplayName_L")
	if !ok {
		return false
	}
	n, err := strconv.Atoi(rest)
	return err == nil && n >= 1 && n <= 16 && strconv.Itoa(n) == rest
}

// miningRuleAttrs lists the known attributes in the order of docs/config.md's table (used in
// messages).
var miningRuleAttrs = []string{
	attrPriority, attrEntityType, attrPolicy, attrRulePolicy, attrCategory,
	attrIncludeNoValidation, attrIncludeSimpleValidation, attrIncludeDoubleValidation,
	attrIncludeTripleValidation, attrExcludeRole, attrPrecisionMin, attrFalsePositiveMax,
	attrRuleType, attrMinIdentities, attrMaxDimensions, attrDimensions, attrUsedOnly, attrIdentifier,
	"DisplayName_L1..DisplayName_L16",
}

// Attribute names of <CriterionPlugin/>.
const (
	attrPluginPath   = "Path"
	attrPluginConfig = "Config"
)

const (
	elemMiningRule      = "MiningRule"
	elemCriterionPlugin = "CriterionPlugin"
	// elemDimension is Netwrix's dimension declaration; only its Identifier and
	// IsExcludedFromRoleMining are read.
	elemDimension = "Dimension"
)

// Bounds checked by validateRule.
const (
	minMaxDimensions = 1
	maxMaxDimensions = 4
)

// ParseConfigFile reads and parses the mining configuration at path. Every error names
// the file and is a user error (uerr), a missing file included, except a failure of the
// system reading a file that exists (uerr.IOFailure).
func ParseConfigFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, uerr.WrapInput(fmt.Errorf("read mining configuration %s: %w", path, err))
	}
	return ParseConfig(path, data)
}

// ParseConfig parses a mining configuration held in data; name (usually the file path) is
// used in messages and kept as Config.Path. Mining rules are returned in document order
// with Netwrix defaults applied; use SortedForRun for the order in which they run. Every
// error is a user error (uerr) whose message starts with "name:line:column:".
func ParseConfig(name string, data []byte) (*Config, error) {
	p := newParser(name, data)
	cfg, err := p.parse()
	if err != nil {
		return nil, uerr.Wrap(err)
	}
	return cfg, nil
}

// SortedForRun returns a copy of rules in the order they run: descending Priority, ties
// in document order (ascending Index). rules is not modified.
func SortedForRun(rules []MiningRule) []MiningRule {
	out := slices.Clone(rules)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority > out[j].Priority
		}
		return out[i].Index < out[j].Index
	})
	return out
}

// parser holds the state of one ParseConfig call.
type parser struct {
	name string
	// data is the document with any UTF-8 byte order mark removed; offsets index it.
	data []byte
	// newlines holds the offset of every '\n' in data, ascending.
	newlines []int
}

func newParser(name string, data []byte) *parser {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var nl []int
	for i, b := range data {
		if b == '\n' {
			nl = append(nl, i)
		}
	}
	return &parser{name: name, data: data, newlines: nl}
}

// position returns the 1-based line and column (in characters) of byte offset off.
func (p *parser) position(off int) (line, col int) {
	off = min(max(off, 0), len(p.data))
	// Number of newlines strictly before off.
	n := sort.SearchInts(p.newlines, off)
	start := 0
	if n > 0 {
		start = p.newlines[n-1] + 1
	}
	return n + 1, utf8.RuneCount(p.data[start:off]) + 1
}

// errorAt formats an error located at byte offset off: "name:line:col: message".
func (p *parser) errorAt(off int, format string, args ...any) error {
	line, col := p.position(off)
	return fmt.Errorf("%s:%d:%d: %s", p.name, line, col, fmt.Sprintf(format, args...))
}

// utf16Prefixes are the starts of a file saved as UTF-16 (Windows' "Unicode"): a byte
// order mark, or "<" as a 16-bit unit, little- or big-endian.
var utf16Prefixes = [][]byte{{0xff, 0xfe}, {0xfe, 0xff}, {'<', 0}, {0, '<'}}

// graphic escapes, as Go quotes them, the characters of s a terminal would not show as
// they are (invalid UTF-8, control characters): encoding/xml's messages quote the
// document's bytes as they are.
func graphic(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsGraphic(r) }) < 0 {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}

func (p *parser) parse() (*Config, error) {
	for _, pre := range utf16Prefixes {
		if bytes.HasPrefix(p.data, pre) {
			return nil, p.errorAt(0, "invalid XML: the file is encoded in UTF-16: save the file as UTF-8")
		}
	}
	dec := xml.NewDecoder(bytes.NewReader(p.data))
	dec.Strict = true
	dec.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "us-ascii", "ascii":
			return r, nil // a subset of UTF-8
		case "utf8":
			return r, nil // a common spelling of UTF-8, which the decoder reads itself
		}
		return nil, fmt.Errorf("encoding %q is not supported: save the file as UTF-8", label)
	}
	cfg := &Config{Path: p.name}
	for {
		start := int(dec.InputOffset())
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, fmt.Errorf("%s:%d: invalid XML: %s", p.name, se.Line, graphic(se.Msg))
			}
			return nil, p.errorAt(start, "invalid XML: %v", err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		end := int(dec.InputOffset())
		tag := p.scanTag(start, end, el)
		switch el.Name.Local {
		case elemMiningRule:
			r, err := p.parseMiningRule(tag, len(cfg.MiningRules))
			if err != nil {
				return nil, err
			}
			cfg.MiningRules = append(cfg.MiningRules, r)
		case elemCriterionPlugin:
			ref, err := p.parsePlugin(tag)
			if err != nil {
				return nil, err
			}
			cfg.Plugins = append(cfg.Plugins, ref)
		case elemDimension:
			name, err := p.parseDimension(tag)
			if err != nil {
				return nil, err
			}
			if name != "" && !slices.Contains(cfg.ExcludedDimensions, name) {
				cfg.ExcludedDimensions = append(cfg.ExcludedDimensions, name)
			}
		}
	}
	if len(cfg.MiningRules) == 0 {
		return nil, fmt.Errorf("%s: no <MiningRule/> element found: expected at least one, at the root or under the root element (e.g. <ConfigurationFile>)", p.name)
	}
	return cfg, nil
}

// tagAttr is one attribute of a start tag with the byte offset of its name.
type tagAttr struct {
	name  string // as written, with any prefix ("Priority", "xsi:type")
	value string // decoded value
	off   int
}

// tag is a start element with where it and each of its attributes begin.
type tag struct {
	name  string
	off   int
	attrs []tagAttr
}

// scanTag pairs the decoded attributes of el with their offsets in the raw text
// data[start:end] of the start tag. The decoder has already checked the tag's syntax,
// so a plain scan of names and quoted values finds them in order; if the scan disagrees
// with the decoder, attributes are located at the tag itself.
func (p *parser) scanTag(start, end int, el xml.StartElement) tag {
	t := tag{name: el.Name.Local, off: start}
	raw := scanAttrs(p.data, start, end)
	for i, a := range el.Attr {
		ta := tagAttr{name: a.Name.Local, value: a.Value, off: start}
		if a.Name.Space != "" {
			ta.name = a.Name.Space + ":" + a.Name.Local
		}
		if len(raw) == len(el.Attr) {
			// The name as written keeps its prefix ("xsi:type") where the decoder
			// would give the namespace URL.
			ta.name, ta.off = raw[i].name, raw[i].off
		}
		t.attrs = append(t.attrs, ta)
	}
	return t
}

// rawAttr is an attribute name as written and its offset.
type rawAttr struct {
	name string
	off  int
}

// scanAttrs returns the attribute names of the start tag in data[start:end], in order,
// with their offsets. It returns nil if the text does not look like a start tag.
func scanAttrs(data []byte, start, end int) []rawAttr {
	if start < 0 || end > len(data) || start >= end || data[start] != '<' {
		return nil
	}
	isSpace := func(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }
	i := start + 1
	for i < end && !isSpace(data[i]) && data[i] != '/' && data[i] != '>' {
		i++
	}
	var attrs []rawAttr
	for {
		for i < end && isSpace(data[i]) {
			i++
		}
		if i >= end || data[i] == '/' || data[i] == '>' {
			return attrs
		}
		nameStart := i
		for i < end && !isSpace(data[i]) && data[i] != '=' {
			i++
		}
		attrs = append(attrs, rawAttr{name: string(data[nameStart:i]), off: nameStart})
		for i < end && isSpace(data[i]) {
			i++
		}
		if i >= end || data[i] != '=' {
			return nil
		}
		i++
		for i < end && isSpace(data[i]) {
			i++
		}
		if i >= end || (data[i] != '"' && data[i] != '\'') {
			return nil
		}
		q := data[i]
		j := bytes.IndexByte(data[i+1:end], q)
		if j < 0 {
			return nil
		}
		i += j + 2
	}
}

// isNamespaceDecl reports whether an attribute is an XML namespace declaration
// (xmlns="..." or xmlns:p="..."), which is not a setting and is always accepted.
func isNamespaceDecl(name string) bool {
	return name == "xmlns" || strings.HasPrefix(name, "xmlns:")
}

// attrError formats an error about attribute a of element elem.
func (p *parser) attrError(elem string, a tagAttr, expected string) error {
	return p.errorAt(a.off, "%s attribute %s=%q: %s", elem, a.name, a.value, expected)
}

// unknownAttr formats the error for an attribute not in known.
func (p *parser) unknownAttr(elem string, a tagAttr, known []string) error {
	for _, k := range known {
		if strings.EqualFold(k, a.name) {
			return p.attrError(elem, a, fmt.Sprintf("unknown attribute (names are case-sensitive): did you mean %s?", k))
		}
	}
	return p.attrError(elem, a, "unknown attribute: expected one of "+strings.Join(known, ", "))
}

// parseMiningRule builds the MiningRule of one <MiningRule/> tag: Netwrix defaults, then
// each attribute converted to its type, then validateRule.
func (p *parser) parseMiningRule(t tag, index int) (MiningRule, error) {
	line, _ := p.position(t.off)
	r := MiningRule{
		Index:              index,
		Line:               line,
		Priority:           0,
		EntityType:         "*",
		Policy:             "Default",
		IncludeValidations: [4]bool{true, true, true, true},
		ExcludeRole:        false,
		PrecisionMin:       100,
		FalsePositiveMax:   0,
		RuleType:           Required,
		MinIdentities:      3,
		MaxDimensions:      2,
	}
	seen := make(map[string]tagAttr, len(t.attrs))
	rulePolicySet := false
	for _, a := range t.attrs {
		if isNamespaceDecl(a.name) {
			continue
		}
		if prev, dup := seen[a.name]; dup {
			pl, _ := p.position(prev.off)
			return r, p.attrError(elemMiningRule, a, fmt.Sprintf("attribute given twice (first on line %d)", pl))
		}
		seen[a.name] = a
		known, err := setRuleAttr(&r, a)
		if !known {
			if isDisplayName(a.name) {
				continue // descriptive only, as in every Netwrix configuration element
			}
			return r, p.unknownAttr(elemMiningRule, a, miningRuleAttrs)
		}
		if a.name == attrRulePolicy {
			rulePolicySet = true
		}
		if err != nil {
			return r, p.attrError(elemMiningRule, a, err.Error())
		}
	}
	if !rulePolicySet {
		r.RulePolicy = r.Policy
	}
	if prob := validateRule(&r); prob != nil {
		if a, ok := seen[prob.Attr]; ok {
			return r, p.attrError(elemMiningRule, a, prob.Expected)
		}
		// Only reachable if a default were invalid.
		return r, p.errorAt(t.off, "%s attribute %s (default): %s", elemMiningRule, prob.Attr, prob.Expected)
	}
	return r, nil
}

// setRuleAttr sets the field of r that attribute a names, converted to its type; known
// is false for an attribute that names no field.
func setRuleAttr(r *MiningRule, a tagAttr) (known bool, err error) {
	switch a.name {
	case attrPriority:
		r.Priority, err = parsePriority(a.value)
	case attrEntityType:
		r.EntityType = a.value
	case attrPolicy:
		r.Policy = a.value
	case attrRulePolicy:
		r.RulePolicy = a.value
	case attrCategory:
		c := a.value
		r.Category = &c
	case attrIncludeNoValidation:
		r.IncludeValidations[0], err = parseBool(a.value)
	case attrIncludeSimpleValidation:
		r.IncludeValidations[1], err = parseBool(a.value)
	case attrIncludeDoubleValidation:
		r.IncludeValidations[2], err = parseBool(a.value)
	case attrIncludeTripleValidation:
		r.IncludeValidations[3], err = parseBool(a.value)
	case attrExcludeRole:
		r.ExcludeRole, err = parseBool(a.value)
	case attrPrecisionMin:
		r.PrecisionMin, err = parseDecimal(a.value)
	case attrFalsePositiveMax:
		r.FalsePositiveMax, err = parseDecimal(a.value)
	case attrRuleType:
		r.RuleType, err = parseRuleType(a.value)
	case attrMinIdentities:
		r.MinIdentities, err = parseInt(a.value)
	case attrMaxDimensions:
		r.MaxDimensions, err = parseInt(a.value)
	case attrDimensions:
		r.Dimensions = splitList(a.value)
	case attrUsedOnly:
		r.UsedOnly, err = parseBool(a.value)
	case attrIdentifier:
		r.Identifier = a.value
	default:
		return false, nil
	}
	return true, err
}

// parsePlugin builds the PluginRef of one <CriterionPlugin/> tag.
func (p *parser) parsePlugin(t tag) (PluginRef, error) {
	line, _ := p.position(t.off)
	ref := PluginRef{Line: line}
	seen := make(map[string]bool, len(t.attrs))
	for _, a := range t.attrs {
		if isNamespaceDecl(a.name) {
			continue
		}
		if seen[a.name] {
			return ref, p.attrError(elemCriterionPlugin, a, "attribute given twice")
		}
		seen[a.name] = true
		switch a.name {
		case attrPluginPath:
			if strings.TrimSpace(a.value) == "" {
				return ref, p.attrError(elemCriterionPlugin, a, "expected the path of a WebAssembly plugin")
			}
			ref.Path = a.value
		case attrPluginConfig:
			ref.Config = a.value
		default:
			return ref, p.unknownAttr(elemCriterionPlugin, a, []string{attrPluginPath, attrPluginConfig})
		}
	}
	if !seen[attrPluginPath] {
		return ref, p.errorAt(t.off, "%s: missing attribute Path: expected the path of a WebAssembly plugin", elemCriterionPlugin)
	}
	return ref, nil
}

// parseDimension returns the attribute a <Dimension/> tag excludes from mining (its
// Identifier, when IsExcludedFromRoleMining is true), or "". Netwrix's other attributes
// of the element are not rolemine's and are ignored.
func (p *parser) parseDimension(t tag) (string, error) {
	var id string
	excluded := false
	seen := make(map[string]bool, 2)
	for _, a := range t.attrs {
		if a.name == "Identifier" || a.name == "IsExcludedFromRoleMining" {
			if seen[a.name] {
				return "", p.attrError(elemDimension, a, "attribute given twice")
			}
			seen[a.name] = true
		}
		switch a.name {
		case "Identifier":
			id = strings.TrimSpace(a.value)
		case "IsExcludedFromRoleMining":
			v, err := parseBool(a.value)
			if err != nil {
				return "", p.attrError(elemDimension, a, err.Error())
			}
			excluded = v
		}
	}
	if !excluded {
		return "", nil
	}
	if id == "" {
		return "", p.errorAt(t.off, "%s: IsExcludedFromRoleMining=\"true\" without an Identifier: expected the attribute to exclude", elemDimension)
	}
	return id, nil
}

// RuleError is a MiningRule value outside what the configuration allows: the attribute
// that holds it (its XML name) and what was expected.
type RuleError struct {
	Attr     string
	Expected string
}

func (e *RuleError) Error() string { return e.Attr + ": " + e.Expected }

// Validate applies to r the checks ParseConfig applies to every <MiningRule> element, so
// that a mining rule built in code (the command line's implicit rule) is held to the same
// rules as one read from a file. The error, if any, is a *RuleError.
func (r *MiningRule) Validate() error {
	if e := validateRule(r); e != nil {
		return e
	}
	return nil
}

// validateRule is the one place that checks a MiningRule's values (docs/config.md#config-errors).
// It returns nil when the rule is acceptable.
func validateRule(r *MiningRule) *RuleError {
	bad := func(attr, expected string) *RuleError { return &RuleError{Attr: attr, Expected: expected} }
	if !validEntityType(r.EntityType) {
		return bad(attrEntityType, `expected "*", "nhi" or a comma-separated list of identity kinds (e.g. "human,service_account") with no empty entry`)
	}
	if strings.TrimSpace(r.Policy) == "" {
		return bad(attrPolicy, "expected a policy identifier")
	}
	if strings.TrimSpace(r.RulePolicy) == "" {
		return bad(attrRulePolicy, "expected a policy identifier")
	}
	if !isPercentage(r.PrecisionMin) {
		return bad(attrPrecisionMin, "expected a percentage between 0 and 100")
	}
	if !isPercentage(r.FalsePositiveMax) {
		return bad(attrFalsePositiveMax, "expected a percentage between 0 and 100")
	}
	if r.RuleType < Required || r.RuleType > Suggested {
		return bad(attrRuleType, ruleTypeExpected)
	}
	if r.MinIdentities < 1 {
		return bad(attrMinIdentities, "expected an integer of at least 1")
	}
	if r.MaxDimensions < minMaxDimensions || r.MaxDimensions > maxMaxDimensions {
		return bad(attrMaxDimensions, fmt.Sprintf("expected an integer from %d to %d", minMaxDimensions, maxMaxDimensions))
	}
	if r.UsedOnly && r.ExcludeRole {
		return bad(attrUsedOnly, `expected false (or no UsedOnly) on an ExcludeRole="true" entry, which generates no rules`)
	}
	if r.Dimensions != nil {
		if len(r.Dimensions) == 0 {
			return bad(attrDimensions, "expected a comma-separated list of attribute names (leave the attribute out to allow all)")
		}
		seen := make(map[string]bool, len(r.Dimensions))
		for _, d := range r.Dimensions {
			if d == "" {
				return bad(attrDimensions, "expected a comma-separated list of attribute names with no empty entry")
			}
			if seen[d] {
				return bad(attrDimensions, fmt.Sprintf("attribute %q is listed twice", d))
			}
			seen[d] = true
		}
	}
	return nil
}

// validEntityType reports whether s is "*", "nhi" or a comma list of non-empty kind names
// (surrounding spaces ignored, as KindInScope does).
func validEntityType(s string) bool {
	for part := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(part) == "" {
			return false
		}
	}
	return true
}

func isPercentage(v float64) bool { return v >= 0 && v <= 100 } // false for NaN

const ruleTypeExpected = "expected 0 (Required), 1 (RequestedAutomatically) or 2 (Suggested)"

// ParseRuleType reads a RuleType as a <MiningRule> attribute is read: Netwrix's numeric
// values or their names, surrounding spaces ignored; the range is checked by
// MiningRule.Validate. `rolemine mine --rule-type` reads its value with it.
func ParseRuleType(s string) (RuleType, error) { return parseRuleType(s) }

// parseRuleType accepts Netwrix's numeric values and, as a convenience, their names.
func parseRuleType(s string) (RuleType, error) {
	switch strings.TrimSpace(s) {
	case "Required":
		return Required, nil
	case "RequestedAutomatically":
		return RequestedAutomatically, nil
	case "Suggested":
		return Suggested, nil
	}
	v, err := parseInt(s)
	if err != nil {
		return 0, errors.New(ruleTypeExpected)
	}
	return RuleType(v), nil // range checked by validateRule
}

// parsePriority parses Priority: any integer an int holds; one beyond says the range.
func parsePriority(s string) (int, error) {
	if _, err := strconv.Atoi(strings.TrimSpace(s)); errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("expected an integer from %d to %d", math.MinInt, math.MaxInt)
	}
	return parseInt(s)
}

// parseInt parses a decimal integer (optional sign, digits; surrounding spaces ignored).
func parseInt(s string) (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, errors.New("expected an integer")
	}
	return v, nil
}

// parseDecimal parses a plain decimal number: optional sign, digits, optional fraction
// ("95", "99.5", ".5"). Exponents, hexadecimal, Inf and NaN are refused.
func parseDecimal(s string) (float64, error) {
	t := strings.TrimSpace(s)
	if !isPlainDecimal(t) {
		return 0, errors.New("expected a decimal number (e.g. 95 or 99.5)")
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, errors.New("expected a decimal number (e.g. 95 or 99.5)")
	}
	return PositiveZero(v), nil
}

// PositiveZero returns v, with a negative zero ("-0", "-0.0") made 0, so that a bound
// read as negative zero is not written "-0" in reasons and fingerprints.
func PositiveZero(v float64) float64 {
	if v == 0 {
		return 0
	}
	return v
}

func isPlainDecimal(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// parseBool accepts true/false/1/0, case-insensitively (surrounding spaces ignored).
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, errors.New("expected true, false, 1 or 0")
}

// splitList splits a comma list, trimming spaces around entries and keeping empty ones
// (validateRule rejects them). An all-blank string gives an empty, non-nil slice.
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return []string{}
	}
	parts := strings.Split(s, ",")
	for i, part := range parts {
		parts[i] = strings.TrimSpace(part)
	}
	return parts
}
